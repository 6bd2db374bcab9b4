"""Hostile responses (issue 16): each reproduction ends in bounded time and memory, exits as
the README promises and leaves an archive that ``archive verify`` passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive.verify import main as verify_main
from tests.crawling import run_crawl
from tests.hostile import HostileServer, brotli_page, replica_html
from tests.replica.model import Site

SEED, ARTICLES = 5, 6
QUICK = {"RETRY_BACKOFF_BASE": "0.1", "DOWNLOAD_TIMEOUT": "20", "RETRY_TIMES": "1"}


def site() -> Site:
    return Site(SEED, ARTICLES)


def crawl(server: HostileServer, archive: Path, **settings: str):
    return run_crawl(archive, proxy_url=server.proxy_url, settings={**QUICK, **settings},
                     timeout=300)


def verified(archive: Path) -> bool:
    return verify_main([str(archive), "--quiet"]) == 0


def index_entries(archive: Path) -> list[dict]:
    lines = (archive / "index.cdxj").read_text("utf-8").splitlines()
    return [json.loads(line.split(" ", 2)[2]) for line in lines]


# -- 1. brotli -------------------------------------------------------------------------------


def test_the_crawler_asks_only_for_gzip_and_deflate(tmp_path):
    with HostileServer(site()) as server:
        result = crawl(server, tmp_path / "archive")
        asked = {seen.headers.get("accept-encoding") for seen in server.seen}
    assert result.returncode == 0, result.output[-3000:]
    assert asked == {"gzip, deflate"}


@pytest.mark.parametrize("valid", [True, False], ids=["brotli", "garbage-brotli"])
def test_an_unasked_brotli_answer_is_archived_indexed_and_verified(tmp_path, valid):
    archive = tmp_path / "archive"
    with HostileServer(site()) as server:
        path = server.article_path(0)
        server.answers[path] = brotli_page(replica_html(server, path), valid=valid)
        first = crawl(server, archive)
        second = crawl(server, archive)
    assert first.returncode == 0, first.output[-3000:]
    assert second.returncode == 0, second.output[-3000:]
    output = first.output + second.output
    at = output.find("Traceback")
    assert at < 0, output[max(0, at - 2000):at + 4000]
    url = "http://sznews.zjol.com.cn" + path
    assert url in {e["url"] for e in index_entries(archive) if e.get("status") == "200"}
    if valid:  # Scrapy decodes br: the article is extracted like any other
        assert url in {a["url"] for a in first.items("articles", first.run_ids[0])}
    assert verified(archive)


def test_a_failing_end_step_leaves_the_others_and_fails_the_run(tmp_path, monkeypatch):
    from datetime import UTC, datetime

    from scrapy.statscollectors import MemoryStatsCollector

    from crawler.run import end as run_mod
    from crawler.run.context import ArchiveLayout, RunContext
    from crawler.run.outcome import run_failure

    (tmp_path / "warc").mkdir()
    ctx = RunContext("20260101T000000Z", ArchiveLayout(tmp_path), datetime.now(UTC))
    closed = []
    steps = [("broken", lambda: 1 / 0), ("state", lambda: closed.append("state"))]

    def broken_index(*args, **kwargs):
        raise AttributeError("'brotli.Decompressor' object has no attribute 'unused_data'")

    monkeypatch.setattr(run_mod, "update_index", broken_index)
    stats = MemoryStatsCollector.__new__(MemoryStatsCollector)
    stats._stats = {"sznews/hub_pages": 1}
    path = run_mod.RunEnd(ctx, stats).finish("finished", steps)
    assert closed == ["state"]
    assert path is not None and path.is_file()
    failed = json.loads(path.read_text("utf-8"))["failed"]
    assert failed == "the end of the run failed (broken, index)"
    assert run_failure({**stats._stats, "finish_reason": "finished"}) == failed


# -- 2. gzip bombs ------------------------------------------------------------------------------


def test_decoded_size_is_measured_in_bounded_time_and_memory():
    import brotli

    from crawler.fetching.compression import decoded_size_exceeds
    from tests.hostile import gzip_bomb

    bomb = gzip_bomb(512 << 20)
    assert decoded_size_exceeds(bomb, b"gzip", 16 << 20)
    assert not decoded_size_exceeds(bomb, b"gzip", 0)  # no limit
    assert not decoded_size_exceeds(gzip_bomb(1 << 20), b"gzip", 16 << 20)
    assert decoded_size_exceeds(brotli.compress(bytes(32 << 20)), b"br", 16 << 20)
    assert not decoded_size_exceeds(b"not gzip", b"gzip", 16 << 20)
    assert not decoded_size_exceeds(bomb, b"x-unknown", 16 << 20)


def test_a_gzip_bomb_is_dropped_not_archived(tmp_path):
    from tests.hostile import gzip_bomb, gzip_page

    archive = tmp_path / "archive"
    with HostileServer(site()) as server:
        path = server.article_path(1)
        server.answers[path] = gzip_page(gzip_bomb(64 << 20))
        result = crawl(server, archive, DOWNLOAD_MAXSIZE=str(2 << 20))
    assert result.returncode == 0, result.output[-3000:]
    url = "http://sznews.zjol.com.cn" + path
    report = result.report()
    assert {d["url"]: d["reason"] for d in report["dropped"]} == {url: "decompressed_too_large"}
    assert report["warc"]["skipped"]["decompressed_too_large"] == 1
    assert url not in {e["url"] for e in index_entries(archive)}
    assert verified(archive)


# -- 3. endless headers -------------------------------------------------------------------------


def test_endless_response_headers_are_cut_while_read(tmp_path):
    import resource

    from tests.hostile import endless_headers

    archive = tmp_path / "archive"
    with HostileServer(site()) as server:
        path = server.article_path(2)
        server.answers[path] = endless_headers
        result = crawl(server, archive, DOWNLOAD_TIMEOUT="120")
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert result.returncode == 0, result.output[-3000:]
    report = result.report()
    assert report["stats"]["downloader/headers_too_large"] == 2  # the try and its retry
    assert report["duration_seconds"] < 60, "cut at once, not at the download timeout"
    assert peak_kib < 400 * 1024
    assert "http://sznews.zjol.com.cn" + path not in {e["url"] for e in index_entries(archive)}
    assert verified(archive)


_PIN_SCRIPT = """
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from scrapy.utils.test import get_crawler
from twisted.web import _newclient
from crawler.fetching.downloader import (ArchivingHTTP11DownloadHandler, HeaderCappingFactory,
                                HeaderCappingProtocol)
import sys
settings = {"DOWNLOAD_MAXHEADERS_SIZE": 4096, "DOWNLOAD_MAXHEADERS": 20}
settings.update(eval(sys.argv[1]))
try:
    handler = ArchivingHTTP11DownloadHandler(get_crawler(settings_dict=settings))
except ValueError as exc:
    print("ValueError:", exc)
    raise SystemExit(0)
factory = handler._pool._factory(lambda p: None, "key")
assert isinstance(factory, HeaderCappingFactory)
protocol = factory.buildProtocol(None)
assert isinstance(protocol, HeaderCappingProtocol)
assert hasattr(protocol, "_parser") and hasattr(protocol, "_disconnectParser")
assert (_newclient.STATUS, _newclient.HEADER) == ("STATUS", "HEADER")
parser = _newclient.HTTPClientParser(None, lambda rest: None)
parser.makeConnection(None)
assert parser.state == _newclient.STATUS
print("pinned")
"""


def _pin(settings: dict) -> str:
    import subprocess
    import sys

    from tests.crawling import ROOT

    proc = subprocess.run([sys.executable, "-c", _PIN_SCRIPT, repr(settings)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_the_header_cap_is_installed_on_the_private_twisted_hooks_it_relies_on():
    """Pins the private API the cap uses: a Scrapy or Twisted upgrade that moves it fails here
    (a reactor of its own, in a subprocess)."""
    assert _pin({}).strip() == "pinned"


@pytest.mark.parametrize(("setting", "value"), [("DOWNLOAD_MAXHEADERS", "0"),
                                                 ("DOWNLOAD_MAXHEADERS_SIZE", "10")])
def test_a_bad_header_cap_is_refused(setting, value):
    out = _pin({setting: value})
    assert out.startswith("ValueError:") and setting in out


# -- 4. a maintenance page that never ends -------------------------------------------------------


def test_a_maintenance_page_that_never_ends_holds_the_run_at_most_max_wait(tmp_path):
    from tests.hostile import maintenance_forever

    archive = tmp_path / "archive"
    with HostileServer(site()) as server:
        path = server.article_path(3)
        url = "http://sznews.zjol.com.cn" + path
        server.answers[path] = maintenance_forever("999999")
        first = crawl(server, archive, DEDUP_MAINTENANCE_MAX_WAIT="1")
        assert first.returncode == 0, first.output[-3000:]
        report = first.report()
        assert report["maintenance_unresolved"] == [url]
        assert report["duration_seconds"] < 120, "not the 1800 s the Retry-After asked for"
        assert report["stats"]["deferrals/gave_up_waiting"] == 1
        state = json.loads((archive / "state" / "maintenance.json").read_text("utf-8"))
        assert [e["url"] for e in state["urls"]] == [url]
        assert verified(archive)
        seen_before = len(server.seen)
        del server.answers[path]  # the site is back
        second = crawl(server, archive, DEDUP_MAINTENANCE_MAX_WAIT="1")
        asked = [p for p in server.paths()[seen_before:] if p != "/robots.txt"]
    assert second.returncode == 0, second.output[-3000:]
    assert second.report()["stats"]["dedup/maintenance/carried_over"] == 1
    assert asked[0] == path, "the URL left in maintenance is asked for first"
    assert url in {a["url"] for a in second.items("articles", second.run_ids[-1])}
    assert second.report()["maintenance_unresolved"] == []
    assert verified(archive)


@pytest.mark.parametrize("setting", ["DEDUP_MAINTENANCE_MAX_WAIT", "ARCHIVE_DISK_RESERVE"])
def test_a_negative_wait_or_reserve_is_refused(tmp_path, setting):
    result = run_crawl(tmp_path / "archive", proxy_url="http://127.0.0.1:9",
                       settings={setting: "-1"})
    assert result.returncode != 0
    assert "must not be negative" in result.output


# -- 5. a full disk ------------------------------------------------------------------------------


@pytest.fixture
def tmpfs(tmp_path):
    """Mounts tmpfs file systems of a given size under tmp_path (root only)."""
    import subprocess

    mounts: list[Path] = []

    def mount(size: str) -> Path:
        point = tmp_path / f"disk-{size}"
        point.mkdir()
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                               str(point)], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
        mounts.append(point)
        return point

    yield mount
    for point in mounts:
        subprocess.run(["umount", "-l", str(point)], check=False)


@pytest.mark.parametrize("size", ["2m", "48k"])
def test_a_full_disk_ends_the_run_with_one_message_and_a_valid_archive(tmpfs, tmp_path, size):
    import shutil

    from tests.replica.testing import start_replica

    disk = tmpfs(size)
    archive = disk / "archive"
    with start_replica(articles=300, seed=SEED) as replica:
        result = run_crawl(archive, proxy_url=replica.proxy_url, settings=QUICK, timeout=300)
        assert result.returncode == 1, result.output[-3000:]
        errors = [line for line in result.output.splitlines()
                  if "] ERROR:" in line or "run failed" in line]
        assert "Traceback" not in result.output, result.output[-5000:]
        failed = [line for line in result.output.splitlines() if "run failed" in line]
        assert len(failed) == 1, errors
        assert f"the disk is full ({disk}, tmpfs): cannot write {archive}/" in failed[0], failed
        assert sum("] ERROR:" in line for line in result.output.splitlines()) == 1, errors
        assert not list(archive.rglob("*.tmp")), list(archive.rglob("*.tmp"))
        assert not list(archive.rglob("*.open"))
        assert verified(archive)
        # The next run, with room, finishes the job.
        roomy = tmp_path / "roomy"
        shutil.copytree(archive, roomy)
        again = run_crawl(roomy, proxy_url=replica.proxy_url, settings=QUICK, timeout=300)
    assert again.returncode == 0, again.output[-3000:]
    assert verified(roomy)


# -- smaller findings ----------------------------------------------------------------------------


def test_malformed_pages_deep_nesting_control_characters_and_no_text(tmp_path):
    from tests.hostile import send

    html = [("Content-Type", "text/html; charset=gb2312")]
    with HostileServer(site()) as server:
        deep, dirty, nul = (server.article_path(i) for i in (0, 1, 2))
        page = replica_html(server, deep)
        nested = b"<div>" * 5000 + b"lost" + b"</div>" * 5000
        server.answers[deep] = send(200, html, page.replace(b"<body>", b"<body>" + nested, 1))
        page = replica_html(server, dirty)
        title_at = page.index(b"<title>") + len(b"<title>")
        dirty_page = page[:title_at] + b"\x00\x07" + page[title_at:]
        dirty_page = dirty_page.replace(b"</p>", b"\x01\x1b</p>")
        server.answers[dirty] = send(200, html, dirty_page)
        server.answers[nul] = send(200, html, b"\x00" * 4096)
        result = crawl(server, tmp_path / "archive", DEDUP_NOTSITE_RETRY_DELAY="0.1")
    assert result.returncode == 0, result.output[-3000:]
    items = {a["url"].removeprefix("http://sznews.zjol.com.cn"): a for a in result.items()}
    assert "markup nested too deep: text inside it was dropped" in " ".join(
        items[deep]["problems"])
    texts = [items[dirty]["title"], items[dirty]["body"]]
    assert texts[0] and texts[1]
    assert not [c for text in texts for c in text if ord(c) < 32 and c not in "\n\t"]
    assert nul not in items, "a page without text is no article"
    # Nothing of the site's in it: not the site's page (crawler/dedup/notsite.py), not parsed.
    assert result.report()["not_site_pages"] == ["http://sznews.zjol.com.cn" + nul]
    assert verified(tmp_path / "archive")


def test_a_304_of_a_requisite_is_not_modified_not_a_failure(tmp_path):
    from scrapy import Request
    from scrapy.http import Response
    from scrapy.spidermiddlewares.httperror import HttpError
    from scrapy.utils.test import get_crawler
    from twisted.python.failure import Failure

    from spiders.sznews import SznewsSpider

    crawler = get_crawler(SznewsSpider, {"ARCHIVE_DIR": str(tmp_path),
                                         "ADDONS": {"crawler.run.owner.ArchiveRun": 0}})
    crawler.spider = spider = SznewsSpider.from_crawler(crawler)
    request = Request("http://sznews.zjol.com.cn/pic/a.jpg")
    response = Response(request.url, status=304, request=request)
    failure = Failure(HttpError(response, "Ignoring non-200 response"))
    failure.request = request
    assert list(spider.request_failed(failure)) == []
    stats = crawler.stats.get_stats()
    assert stats.get("incremental/requisites/not_modified") == 1
    assert not [key for key in stats if key.startswith("sznews/failed/")]
