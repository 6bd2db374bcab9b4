"""Scheduled runs: the second run adds what changed at a fraction of the first run's cost."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from archive.reader import iter_records
from archive.verify import main as verify_main
from tests.crawling import run_crawl
from tests.replica.expected import correctable_path, expected_articles, new_article_urls
from tests.replica.model import Site
from tests.replica.testing import start_replica

SEED, ARTICLES, GROW = 9, 60, 8
HOST = "http://sznews.zjol.com.cn"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    base = Site(SEED, ARTICLES)
    single = correctable_path(base)
    multi = correctable_path(base, multipage=True)
    archive = tmp_path_factory.mktemp("incremental") / "archive"
    logs = tmp_path_factory.mktemp("logs")
    with start_replica(articles=ARTICLES, seed=SEED, log_path=logs / "run1.jsonl") as replica:
        first = run_crawl(archive, proxy_url=replica.proxy_url)
    assert first.returncode == 0, first.output[-3000:]
    with start_replica(articles=ARTICLES, seed=SEED, grow=GROW, correct=(single, multi),
                       log_path=logs / "run2.jsonl") as replica:
        second = run_crawl(archive, proxy_url=replica.proxy_url)
        requests = replica.requests()
    assert second.returncode == 0, second.output[-3000:]
    grown = Site(SEED, ARTICLES, grow=GROW, correct=(single, multi))
    return first, second, requests, base, grown, HOST + single, HOST + multi


def test_second_run_emits_only_new_and_corrected_articles(two_runs):
    first, second, _, _, grown, single, multi = two_runs
    run1, run2 = first.run_ids[0], second.run_ids[-1]
    assert run1 != run2
    expected = {a["url"]: a for a in expected_articles(grown)}
    new = set(new_article_urls(grown, HOST))
    items = second.items("articles", run2)
    assert Counter(a["url"] for a in items) == Counter(list(new | {single, multi}))
    for item in items:
        assert {k: item[k] for k in expected[item["url"]]} == expected[item["url"]]
        assert item["version"] == (2 if item["url"] in (single, multi) else 1)
    assert all(a["version"] == 1 for a in first.items("articles", run1))


def test_union_of_runs_newest_version_is_the_site_as_it_stands(two_runs):
    first, second, _, _, grown, _, _ = two_runs
    newest: dict[str, dict] = {}
    for run in second.run_ids:
        for item in second.items("articles", run):
            if item["url"] not in newest or item["version"] > newest[item["url"]]["version"]:
                newest[item["url"]] = item
    expected = {a["url"]: a for a in expected_articles(grown)}
    assert set(newest) == set(expected)
    for url, want in expected.items():
        assert {k: newest[url][k] for k in want} == want


def test_second_run_downloads_in_full_only_hubs_new_and_changed(two_runs):
    _, _, requests, base, grown, single, multi = two_runs
    base_pages = {HOST + base.path(i, n) for i in range(base.n)
                  for n in range(1, base.npages[i] + 1)}
    full = {r["url"] for r in requests if r["status"] == 200}
    not_modified = {r["url"] for r in requests if r["status"] == 304}
    changed_pages = {u for u in base_pages
                     if u.startswith((single.removesuffix(".shtml"),
                                      multi.removesuffix(".shtml")))}
    unchanged_full = (full & base_pages) - changed_pages
    assert unchanged_full == set(), "unchanged article pages are not downloaded again"
    assert {u for u in base_pages if u.count("_") == 0} - changed_pages <= not_modified
    new_pages = {HOST + grown.path(i, n) for i in grown.new_articles()
                 for n in range(1, grown.npages[i] + 1)}
    assert new_pages <= full


def test_revisits_for_what_was_checked_and_valid_warcs(two_runs):
    _, second, _, _, _, _, _ = two_runs
    profiles = Counter()
    for path in second.warcs:
        for record in iter_records(path):
            if record.rec_type == "revisit":
                profiles[record.rec_headers.get_header("WARC-Profile").rsplit("/", 1)[1]] += 1
    assert profiles["server-not-modified"] >= ARTICLES - 2
    proc = subprocess.run([Path(sys.executable).parent / "warcio", "check", *second.warcs],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
    assert verify_main([str(second.archive_dir), "--quiet"]) == 0


def test_report_says_what_was_new_changed_unchanged(two_runs):
    _, second, _, _, _, _, _ = two_runs
    stats = second.report()["stats"]
    assert stats["incremental/articles/new"] == GROW
    assert stats["incremental/articles/changed"] == 2
    assert stats["incremental/articles/unchanged"] >= ARTICLES - 2
    assert stats["incremental/articles/changed_later_page"] == 1


def test_recheck_horizon_skips_old_articles(tmp_path):
    archive = tmp_path / "archive"
    with start_replica(articles=30, seed=SEED) as replica:
        assert run_crawl(archive, proxy_url=replica.proxy_url).returncode == 0
        first_run_requests = len(replica.requests())
        again = run_crawl(archive, proxy_url=replica.proxy_url,
                          settings={"INCREMENTAL_RECHECK_DAYS": "0"})
        requests = replica.requests()[first_run_requests:]
    assert again.returncode == 0
    assert again.report()["stats"]["incremental/articles/skipped"] == 30
    assert again.items("articles", again.run_ids[-1]) == []
    assert not [r for r in requests if "/system/" in r["path"]], "no article was asked for"
