"""Kills, restarts, one run at a time, exit codes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from archive.verify import main as verify_main
from tests.crawling import FAST, ROOT, CrawlResult, crawl_env, run_crawl
from tests.replica.expected import expected_articles
from tests.replica.model import Site
from tests.replica.testing import start_replica
from tests.waiting import wait_until

SEED, ARTICLES = 5, 400


def crawl_cmd(archive: Path) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "sznews", "-s", f"ARCHIVE_DIR={archive}",
           "-s", "LOG_LEVEL=INFO"]
    for key, value in FAST.items():
        cmd += ["-s", f"{key}={value}"]
    return cmd


def start_crawl(archive: Path, proxy_url: str) -> subprocess.Popen:
    return subprocess.Popen(crawl_cmd(archive), cwd=ROOT, env=crawl_env(proxy_url),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for_articles(archive: Path, at_least: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = list((archive / "items").glob("*/articles.jsonl"))
        if files and files[0].read_bytes().count(b"\n") >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {at_least} articles within {timeout}s")


@pytest.mark.slow
def test_killed_three_times_then_finished_gives_every_article_once(tmp_path):
    archive = tmp_path / "archive"
    site = Site(SEED, ARTICLES)
    with start_replica(articles=ARTICLES, seed=SEED) as replica:
        for kills, at in enumerate((40, 150, 280), start=1):
            proc = start_crawl(archive, replica.proxy_url)
            wait_for_articles(archive, at)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            assert (archive / "job" / "run.json").exists(), f"kill {kills}: run left unfinished"
            assert list((archive / "warc").glob("*.open")), "a kill leaves the open WARC behind"
        final = run_crawl(archive, proxy_url=replica.proxy_url)
    assert final.returncode == 0, final.output[-3000:]
    assert "Resuming unfinished run" in final.output
    assert not (archive / "job").exists(), "a finished run clears its job"
    result = CrawlResult(archive, 0, "")
    assert len(result.run_ids) == 1, "the restarts continued the same run"
    items = result.items("articles")
    expected = {a["url"]: a for a in expected_articles(site)}
    assert Counter(a["url"] for a in items) == Counter(list(expected))
    for item in items:
        assert {k: item[k] for k in expected[item["url"]]} == expected[item["url"]]
    assert not list((archive / "warc").glob("*.open"))
    proc = subprocess.run([Path(sys.executable).parent / "warcio", "check", *result.warcs],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
    assert verify_main([str(archive), "--quiet"]) == 0
    report = result.report()
    assert report["resumed"] is True and report["failed"] is None


def test_a_second_run_on_the_same_archive_exits_at_once(tmp_path):
    archive = tmp_path / "archive"
    # A slow replica keeps the first run going for minutes: the second must not wait for it.
    with start_replica(articles=300, seed=SEED, latency=1.0) as replica:
        first = start_crawl(archive, replica.proxy_url)
        try:
            wait_until(lambda: (archive / ".lock").exists() and (archive / "job").exists(),
                       what="the first run holding the archive")
            second = subprocess.run(crawl_cmd(archive), cwd=ROOT, env=crawl_env(replica.proxy_url),
                                    capture_output=True, text=True, timeout=600)
            first_still_running = first.poll() is None
        finally:
            first.send_signal(signal.SIGTERM)
            first.wait(timeout=120)
    assert second.returncode == 75
    assert "only one run at a time" in second.stderr
    assert first_still_running, "the second run returned while the first one held the lock"


def test_an_unreachable_site_fails_the_run(tmp_path):
    # Nothing listens on port 9 of 127.0.0.1: every connection is refused.
    result = run_crawl(tmp_path / "archive", proxy_url="http://127.0.0.1:9",
                       settings={"RETRY_TIMES": "0"})
    assert result.returncode == 1
    assert "run failed: no page of the site could be fetched" in result.output
    report = result.report()
    assert report["failed"] == "no page of the site could be fetched"


def test_a_site_in_maintenance_throughout_fails_the_run(tmp_path):
    with start_replica(articles=20, seed=SEED, maintenance=("window=0:600",)) as replica:
        result = run_crawl(tmp_path / "archive", proxy_url=replica.proxy_url,
                           settings={"DEDUP_MAINTENANCE_RETRY_DELAY": "0.1",
                                     "DEDUP_MAINTENANCE_RETRY_TIMES": "2"})
    assert result.returncode == 1, result.output[-2000:]
    assert "every page answered with the maintenance notice" in result.output
    assert not list((tmp_path / "archive" / "warc").glob("*.warc.gz")) or all(
        os.path.getsize(p) > 0 for p in (tmp_path / "archive" / "warc").glob("*.warc.gz")
    )


def test_work_log_keeps_what_is_pending_through_duplicates_and_a_torn_line(tmp_path):
    from crawler.resume.job import InflightLog

    log = InflightLog(tmp_path / "work.log")
    log.started("http://h/a", "parse_article")
    log.started("http://h/a", "parse_article")  # a duplicate copy ...
    log.refused("http://h/a")  # ... refused by the scheduler: the first copy still pends
    log.started("http://h/b", "parse_section")
    log.done("http://h/b")
    log.started("http://h/c", "parse")
    log.close()
    with (tmp_path / "work.log").open("a") as fh:
        fh.write("- http://h/c")  # cut by a kill: not a finished line
    assert InflightLog.unfinished(tmp_path / "work.log") == [
        ("http://h/a", "parse_article"),
        ("http://h/c", "parse"),
    ]
