"""Faults and hostile input: the crawl keeps going, archives nothing broken, loses nothing."""

from __future__ import annotations

import gzip
import http.server
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from archive.reader import iter_records
from archive.verify import main as verify_main
from crawler.capture.exchange import safe_host_name
from crawler.extraction.article import extract_article_page
from crawler.extraction.page import parse_html
from crawler.profile import SZNEWS
from tests.crawling import FAST, ROOT, crawl_env, run_crawl
from tests.replica.expected import expected_articles
from tests.replica.model import Site
from tests.replica.testing import start_replica
from tests.waiting import wait_until

SEED, ARTICLES = 3, 40
# A download timeout well above what a loaded machine takes to answer, well below `slow`.
QUICK = {"RETRY_BACKOFF_BASE": "0.2", "DOWNLOAD_TIMEOUT": "4", "RETRY_TIMES": "4"}


def crawl_with(tmp_path: Path, faults: tuple[str, ...], articles: int = ARTICLES,
               settings: dict | None = None):
    with start_replica(articles=articles, seed=SEED, faults=faults) as replica:
        result = run_crawl(tmp_path / "archive", proxy_url=replica.proxy_url,
                           settings={**QUICK, **(settings or {})})
        requests = replica.requests()
    return result, requests


def assert_every_article_exact(result, articles: int = ARTICLES) -> None:
    expected = {a["url"]: a for a in expected_articles(Site(SEED, articles))}
    got = result.items("articles")
    assert Counter(a["url"] for a in got) == Counter(list(expected))
    for item in got:
        assert {k: item[k] for k in expected[item["url"]]} == expected[item["url"]]


def assert_archive_valid(result) -> None:
    assert not list((result.archive_dir / "warc").glob("*.open"))
    proc = subprocess.run([Path(sys.executable).parent / "warcio", "check", *result.warcs],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
    for path in result.warcs:
        for record in iter_records(path):
            if record.rec_type == "response":
                length = record.http_headers.get_header("Content-Length")
                assert int(length) == len(record.payload), "no short body archived as whole"


@pytest.mark.parametrize(
    "fault",
    ["status5xx=0.2:2", "retry503=0.15:1:1", "truncate=0.2:1", "slow=0.1:1:10", "reset=0.15:1",
     "malformed=0.3", "charset_conflict=0.5"],
)
def test_each_transient_fault_still_gives_every_article(tmp_path, fault):
    result, requests = crawl_with(tmp_path, (fault,))
    assert result.returncode == 0, result.output[-3000:]
    mode = fault.split("=")[0]
    stats = result.report()["stats"]
    timeouts = stats.get("retry/reason_count/scrapy.exceptions.DownloadTimeoutError", 0)
    # A slow answer may never be logged by the replica: the crawler hung up first.
    injected = any(mode in (r.get("fault") or "") for r in requests) or (
        mode == "slow" and timeouts > 0
    )
    assert injected, "the replica did inject it"
    assert_every_article_exact(result)
    assert_archive_valid(result)
    assert result.report()["errors"]["log_errors"] == 0


def test_retry_after_is_honoured(tmp_path):
    result, requests = crawl_with(tmp_path, ("retry503=0.2:1:2",))
    assert result.returncode == 0
    by_url: dict[str, list[dict]] = {}
    for r in requests:
        by_url.setdefault(r["url"], []).append(r)
    waited = [tries[1]["time"] - tries[0]["time"] for tries in by_url.values()
              if len(tries) > 1 and tries[0]["status"] == 503]
    assert waited and min(waited) >= 1.9


def test_whole_site_failing_for_a_while(tmp_path):
    result, _ = crawl_with(tmp_path, ("burst=0:3",), settings={"RETRY_BACKOFF_BASE": "0.5",
                                                               "RETRY_TIMES": "6"})
    assert result.returncode == 0, result.output[-3000:]
    assert_every_article_exact(result)
    assert result.report()["stats"]["retry/deferred"] > 0


def test_giant_page_and_gzip_bomb_are_dropped_and_reported(tmp_path):
    faults = ("large=1", "gzipbomb=1")
    with start_replica(articles=ARTICLES, seed=SEED, faults=faults) as replica:
        large, bomb = replica.large_urls(root="http://sznews.zjol.com.cn"), \
            replica.gzipbomb_urls(root="http://sznews.zjol.com.cn")
        result = run_crawl(tmp_path / "archive", proxy_url=replica.proxy_url, settings=QUICK)
    assert result.returncode == 0, result.output[-3000:]
    assert_every_article_exact(result)
    dropped = {d["url"]: d["reason"] for d in result.report()["dropped"]}
    assert dropped == {large[0]: "too_large", bomb[0]: "decompressed_too_large"}
    assert result.report()["stats"]["memusage/max"] < 400 * 1024 * 1024


def test_all_faults_at_once(tmp_path):
    # One path can meet every mode: 2 + 1 + 1 + 1 + 1 faulted answers, plus the burst. With
    # more retries than that and a timeout well above a loaded machine's answer time, every
    # article must come (a run that runs out of retries is another test's business).
    faults = ("status5xx=0.1:2", "retry503=0.05:1:1", "truncate=0.1:1", "slow=0.05:1:8",
              "reset=0.05:1", "malformed=0.1", "charset_conflict=0.2", "large=1", "gzipbomb=1",
              "burst=1:2")
    result, _ = crawl_with(tmp_path, faults, articles=80,
                           settings={"RETRY_TIMES": "10", "RETRY_BACKOFF_MAX": "2",
                                     "DOWNLOAD_TIMEOUT": "5"})
    assert result.returncode == 0, result.output[-3000:]
    assert_every_article_exact(result, articles=80)
    assert_archive_valid(result)
    assert verify_main([str(result.archive_dir), "--quiet"]) == 0


def test_maintenance_and_faults_together_keep_maintenance_out(tmp_path):
    with start_replica(articles=ARTICLES, seed=SEED, maintenance=("flap=2",),
                       faults=("status5xx=0.1:1", "truncate=0.1:1")) as replica:
        result = run_crawl(tmp_path / "archive", proxy_url=replica.proxy_url,
                           settings={**QUICK, "DEDUP_MAINTENANCE_RETRY_DELAY": "0.2"})
    assert result.returncode == 0
    assert_every_article_exact(result)
    notice = "网站维护中</title>".encode("gbk")
    for path in result.warcs:
        for record in iter_records(path):
            body = record.payload
            if body[:2] == b"\x1f\x8b":
                body = gzip.decompress(body)
            assert notice not in body


# -- a full disk -------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 700 KB tmpfs: room for part of a crawl, not all of it."""
    mount = tmp_path / "disk"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=700k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_stops_the_run_with_one_clear_error_and_keeps_what_was_written(small_disk):
    with start_replica(articles=300, seed=SEED) as replica:
        result = run_crawl(small_disk / "archive", proxy_url=replica.proxy_url)
    assert result.returncode == 1
    errors = [line for line in result.output.splitlines() if "] ERROR:" in line]
    assert any("stopping the crawl" in line for line in errors), errors
    assert len(errors) <= 4, errors
    archive = small_disk / "archive"
    for path in archive.glob("warc/*.warc.gz"):
        proc = subprocess.run([Path(sys.executable).parent / "warcio", "check", path],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout
    for items in archive.glob("items/*/*.jsonl"):
        data = items.read_bytes()
        assert not data or data.endswith(b"\n"), "no half-written item line"


def test_unwritable_archive_dir_fails_at_once_with_a_clear_message(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    result = run_crawl(blocker / "archive", proxy_url="http://127.0.0.1:9")
    assert result.returncode == 1
    assert "is not writable" in result.output
    assert "Traceback" not in result.output


# -- hostile input -------------------------------------------------------------------------------


class _Counter(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self):  # noqa: N802
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_parsing_never_loads_external_entities_or_dtds():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    evil = (
        f'<?xml version="1.0"?><!DOCTYPE html SYSTEM "http://127.0.0.1:{port}/x.dtd" ['
        f'<!ENTITY xxe SYSTEM "http://127.0.0.1:{port}/secret">]>'
        '<html><body><table><tr><td class="artTitle"><h1>T&xxe;</h1></td></tr></table>'
        '<div id="Zoom"><p>&xxe;正文</p></div></body></html>'
    ).encode("gb18030")
    url = "http://sznews.zjol.com.cn/sznews/system/2010/01/01/010000001.shtml"
    article = extract_article_page(parse_html(evil, url), SZNEWS)  # synchronous: any fetch
    server.shutdown()                                                # would have happened
    assert _Counter.hits == 0
    assert article.title.startswith("T")


def test_file_names_from_outside_are_sanitised():
    assert safe_host_name("evil/../../host name") == "evil-..-..-host-name"
    assert "/" not in safe_host_name("a/b\\c")
    assert safe_host_name("...") == "host"


def test_nothing_listens_on_a_port_during_a_crawl(tmp_path):
    # A replica that answers slowly keeps the crawl's connections open for a while.
    with start_replica(articles=200, seed=SEED, latency=0.5) as replica:
        cmd = [sys.executable, "-m", "scrapy", "crawl", "sznews", "-s",
               f"ARCHIVE_DIR={tmp_path / 'archive'}"]
        for key, value in FAST.items():
            cmd += ["-s", f"{key}={value}"]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=crawl_env(replica.proxy_url),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # Wait for the crawl to be talking to the replica, then for a few more of its
            # requests, looking at its sockets all the while.
            wait_until(lambda: replica.requests(), what="the crawl's first request")
            seen: set[str] = set()
            shared: set[str] = set()

            def crawled_a_while() -> bool:
                own = _socket_inodes(proc.pid)
                seen.update(own)
                shared.update(own & _listening_inodes())
                return len(replica.requests()) >= 10 or proc.poll() is not None

            wait_until(crawled_a_while, what="ten requests of the crawl")
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    assert seen, "the crawl had sockets open (it was crawling)"
    assert not shared


def _listening_inodes() -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                inodes.add(fields[9])
    return inodes


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except FileNotFoundError:  # the process has ended
        return inodes
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("WARC_MAX_SIZE", "10", "WARC_MAX_SIZE must be at least 64 KiB"),
        ("DEDUP_MAINTENANCE_RETRY_DELAY", "-1", "must not be negative"),
        ("INCREMENTAL_MAX_INTERVAL_DAYS", "0", "INCREMENTAL_MIN_INTERVAL_DAYS must be > 0"),
    ],
)
def test_a_bad_setting_stops_the_crawl_instead_of_switching_archiving_off(
    tmp_path, setting, value, message
):
    result = run_crawl(tmp_path / "archive", proxy_url="http://127.0.0.1:9",
                       settings={setting: value})
    assert result.returncode != 0
    assert message in result.output
    assert not list((tmp_path / "archive").glob("warc/*.warc.gz"))
