"""Exactly once after any crash: kill the crawl at many points, finish, run again.

A kill is placed by a test hook (``ARCHIVE_TEST_KILL_AFTER``, crawler/resume/killpoints.py) right
after the N-th WARC write, item line or state commit, so each case cuts a run exactly between
two steps whose order matters, the same way on any machine. After the kills, a run finishes
the job and the next scheduled run meets an unchanged site but for one correction.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from archive.verify import main as verify_main
from tests.crawling import FAST, ROOT, crawl_env
from tests.replica.expected import expected_articles
from tests.replica.model import Site, correctable_path
from tests.replica.testing import start_replica

SEED, ARTICLES = 21, 40
HOST = "http://sznews.zjol.com.cn"


def crawl(archive: Path, proxy_url: str, kill_after: str | None = None,
          settings: dict[str, str] | None = None) -> int:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "sznews", "-s", f"ARCHIVE_DIR={archive}"]
    for key, value in {**FAST, **(settings or {})}.items():
        cmd += ["-s", f"{key}={value}"]
    env = crawl_env(proxy_url)
    if kill_after:
        env["ARCHIVE_TEST_KILL_AFTER"] = kill_after
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if kill_after is None:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    else:
        assert proc.returncode in (0, -signal.SIGKILL), proc.stderr[-3000:]
    return proc.returncode


def all_items(archive: Path) -> dict[str, list[dict]]:
    """Article items of every run, by run id (oldest first)."""
    runs = {}
    for path in sorted((archive / "items").glob("*/articles.jsonl")):
        runs[path.parent.name] = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return runs


def killed_then_finished_then_scheduled(tmp_path: Path, kills: list[str]) -> None:
    archive = tmp_path / "archive"
    base = Site(SEED, ARTICLES)
    corrected = correctable_path(base)
    with start_replica(articles=ARTICLES, seed=SEED) as replica:
        for point in kills:
            crawl(archive, replica.proxy_url, point)
        crawl(archive, replica.proxy_url)
    first_runs = all_items(archive)
    # The articles are years old: only a recheck of everything meets the correction today.
    with start_replica(articles=ARTICLES, seed=SEED, correct=(corrected,)) as replica:
        crawl(archive, replica.proxy_url, settings={"INCREMENTAL_POLICY": "all"})
    runs = all_items(archive)
    scheduled = runs[max(runs)]
    assert max(runs) not in first_runs, "the scheduled run is a run of its own"

    # Each (url, version) once, versions 1..n per url, in run order.
    versions: dict[str, list[int]] = defaultdict(list)
    for run in sorted(runs):
        for item in runs[run]:
            versions[item["url"]].append(item["version"])
    for url, numbers in versions.items():
        assert numbers == list(range(1, len(numbers) + 1)), (url, numbers)

    # Every article of the site archived and exported, exactly as it is.
    expected = {a["url"]: a for a in expected_articles(base)}
    assert set(versions) == set(expected)
    newest: dict[str, dict] = {}
    for run in sorted(first_runs):
        for item in first_runs[run]:
            newest[item["url"]] = item
    for url, want in expected.items():
        assert {k: newest[url][k] for k in want} == want, url

    # The scheduled run: nothing new, the correction is the next version.
    assert [(i["url"], i["version"]) for i in scheduled] == [(HOST + corrected, 2)]
    report = json.loads((archive / "reports" / f"{max(runs)}.json").read_text("utf-8"))
    assert report["incremental"]["new"] == 0, report["incremental"]
    assert report["incremental"]["changed"] == 1
    assert report["failed"] is None
    assert verify_main([str(archive), "--quiet"]) == 0


@pytest.mark.parametrize(
    "kills",
    [
        ["warc_write:1", "warc_write:4", "warc_write:30", "warc_write:120"],
        ["item_line:1", "item_line:6", "item_line:25"],
        ["state_commit:1", "state_commit:2", "state_commit:4"],
    ],
    ids=["warc_write", "item_line", "state_commit"],
)
def test_killed_at_every_kind_of_point(tmp_path, kills):
    killed_then_finished_then_scheduled(tmp_path, kills)


@pytest.mark.parametrize("seed", range(10))
def test_killed_five_times_at_random_points(tmp_path, seed):
    rng = random.Random(seed)
    limits = {"warc_write": 200, "item_line": ARTICLES, "state_commit": 6}
    kills = []
    for _ in range(5):
        point = rng.choice(sorted(limits))
        kills.append(f"{point}:{rng.randint(1, limits[point])}")
    killed_then_finished_then_scheduled(tmp_path, kills)


def test_no_article_is_new_twice_across_the_kills(tmp_path):
    """The count a report gives is the item file's: a resumed run's new articles include
    those its killed processes exported, and no other run counts them again."""
    archive = tmp_path / "archive"
    with start_replica(articles=ARTICLES, seed=SEED) as replica:
        crawl(archive, replica.proxy_url, "item_line:10")
        crawl(archive, replica.proxy_url)
        crawl(archive, replica.proxy_url)
    reports = [json.loads(p.read_text("utf-8")) for p in sorted((archive / "reports").glob("*"))]
    assert [r["incremental"]["new"] for r in reports] == [ARTICLES, 0]
    lines = Counter(i["url"] for items in all_items(archive).values() for i in items)
    assert set(lines.values()) == {1}


def test_a_list_page_archived_but_not_followed_is_followed_on_resume(tmp_path):
    """The run dies right after a list page's response reaches the WARC, before its links are
    written down: the resumed run fetches it again, and finishes with every article of it."""
    site = Site(5, 300)
    column = max(site.columns, key=lambda c: c.list_pages)
    page = column.list_page_path(1)
    only_there = {HOST + site.path(i) for i in site.column_page(column, 1)}
    archive = tmp_path / "archive"
    with start_replica(articles=300, seed=5) as replica:
        assert crawl(archive, replica.proxy_url, f"warc_url:{page}") == -signal.SIGKILL
        crawl(archive, replica.proxy_url)
        crawl(archive, replica.proxy_url)
    (first, items), = all_items(archive).items()  # the scheduled run exports nothing
    assert only_there <= {i["url"] for i in items}
    assert {i["url"] for i in items} == {a["url"] for a in expected_articles(site)}
    reports = [json.loads(p.read_text("utf-8")) for p in sorted((archive / "reports").glob("*"))]
    assert [r["run_id"] for r in reports][0] == first and len(reports) == 2
    assert reports[1]["incremental"]["new"] == 0
