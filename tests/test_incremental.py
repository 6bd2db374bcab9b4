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
from tests.replica.expected import (
    correctable_path,
    expected_articles,
    list_page_urls,
    new_article_urls,
)
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
    # Recheck everything (the policy kept for comparison): every correction is seen at once.
    with start_replica(articles=ARTICLES, seed=SEED, grow=GROW, correct=(single, multi),
                       log_path=logs / "run2.jsonl") as replica:
        second = run_crawl(archive, proxy_url=replica.proxy_url,
                           settings={"INCREMENTAL_POLICY": "all"})
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


def test_the_next_day_asks_only_for_what_is_due(tmp_path):
    """The site's articles are years old: none is due the day after they were archived, and
    each column's list is walked only until it shows nothing new, plus one page."""
    archive = tmp_path / "archive"
    with start_replica(articles=400, seed=SEED) as replica:
        site = replica.site()
        first = run_crawl(archive, proxy_url=replica.proxy_url,
                          settings={"ARCHIVE_NOW": "2026-01-01T03:00:00Z"})
        assert first.returncode == 0, first.output[-3000:]
        before = len(replica.requests())
        again = run_crawl(archive, proxy_url=replica.proxy_url,
                          settings={"ARCHIVE_NOW": "2026-01-02T03:00:00Z"})
        requests = replica.requests()[before:]
    assert again.returncode == 0, again.output[-3000:]
    assert first.report(first.run_ids[0])["incremental"]["full_sweep"] is True
    report = again.report()
    incremental = report["incremental"]
    assert incremental["full_sweep"] is False
    assert incremental["next_full_sweep"] == "2026-01-08T03:00:00+00:00"
    assert incremental["new"] == 0 and incremental["changed"] == 0
    assert not [r for r in requests if "/system/" in r["path"]], "no article was due"
    assert not [r for r in requests if r["path"].startswith("/pic/")], "no image was due"
    list_pages = [r["path"] for r in requests if "/index_" in r["path"]]
    columns = {p.rsplit("/", 1)[0] for p in list_pages}
    assert len(list_pages) <= len(columns), "one overlap page a column at most"
    # Columns of 3 and 4 list pages: page 2 is the overlap, the rest is left for the sweep.
    assert incremental["list_pages"]["skipped"] == sum(
        c.list_pages - 2 for c in site.columns if c.list_pages > 2)
    forecast = incremental["due_next_days"]
    assert len(forecast) == 7 and sum(forecast) < 400 / 10, "spread over many days"
    assert again.items("articles", again.run_ids[-1]) == []


def test_a_full_sweep_walks_every_list_page_when_asked(tmp_path):
    archive = tmp_path / "archive"
    with start_replica(articles=200, seed=SEED) as replica:
        assert run_crawl(archive, proxy_url=replica.proxy_url).returncode == 0
        before = len(replica.requests())
        again = run_crawl(archive, proxy_url=replica.proxy_url,
                          settings={"INCREMENTAL_FULL_SWEEP": "True"})
        requests = replica.requests()[before:]
        site = replica.site()
    assert again.returncode == 0
    assert again.report()["incremental"]["full_sweep"] is True
    walked = {HOST + r["path"] for r in requests if r["status"] == 200}
    assert set(list_page_urls(site, HOST)) <= walked
