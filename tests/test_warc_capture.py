"""The capture extension on its own: plain values in, exact records out."""

from __future__ import annotations

import gzip
import ipaddress
import itertools
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from scrapy import Request
from scrapy.http import Headers, HtmlResponse

from archive.reader import iter_records
from crawler.capture.exchange import exchange_from
from crawler.capture.warc import WarcCapture, WarcConfig
from crawler.fetching.downloader import FETCH_BEGAN, REASON

BIN = Path(sys.executable).parent
URL = "http://sznews.zjol.com.cn/sznews/index.shtml?a=1"


class Stats(dict):
    def inc_value(self, key, count=1, start=0):
        self[key] = self.get(key, start) + count

    def set_value(self, key, value):
        self[key] = value


def config(tmp: Path, **overrides) -> WarcConfig:
    values = dict(archive_dir=tmp, prefix="t", max_size=1024**3, operator="Op <op@example.org>",
                  robots_policy="obey", software="sznews-archive/test")
    values.update(overrides)
    return WarcConfig(**values)


def fixed_capture(tmp: Path, *, revisits: bool = True) -> WarcCapture:
    ids = (f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>" for n in itertools.count(1))
    info_ids = (f"<urn:uuid:00000000-0000-0000-1111-{n:012d}>" for n in itertools.count(1))
    ext = WarcCapture(config(tmp), Stats(), "host1",
                      clock=lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                      record_id=lambda: next(ids), warcinfo_id=lambda: next(info_ids))
    ext.revisits = revisits
    ext.open(tmp / "warc")
    return ext


def exchange(body: bytes, url: str = URL, status: int = 200, reason: bytes | None = b"OK",
             headers: dict | None = None):
    request = Request(url, headers={"User-Agent": "ua", "Proxy-Authorization": "secret"})
    request.meta[FETCH_BEGAN] = datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC)
    if reason is not None:
        request.meta[REASON] = reason
    response = HtmlResponse(
        url, status=status, body=body, request=request, protocol="HTTP/1.1",
        ip_address=ipaddress.ip_address("127.0.0.1"),
        headers=Headers(headers or {"Content-Type": "text/html", "Set-Cookie": ["a=1", "b=2"]}),
    )
    return request, response


def test_exchange_keeps_the_wire_view():
    request, response = exchange(gzip.compress(b"<html>x</html>"),
                                 headers={"Content-Encoding": "gzip", "Set-Cookie": ["a", "b"]})
    ex = exchange_from(request, response)
    assert ex.request.target == "/sznews/index.shtml?a=1"
    assert ex.request.headers[0] == (b"Host", b"sznews.zjol.com.cn")
    assert b"Proxy-Authorization" not in dict(ex.request.headers)
    assert [v for k, v in ex.response.headers if k == b"Set-Cookie"] == [b"a", b"b"]
    assert ex.response.body[:2] == b"\x1f\x8b"
    assert ex.date == datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC)
    assert ex.ip_address == "127.0.0.1"


def test_reason_phrase_falls_back_to_the_standard_one():
    request, response = exchange(b"", status=404, reason=None)
    assert exchange_from(request, response).response.reason == b"Not Found"


def test_output_is_byte_identical_with_an_injected_clock_and_ids(tmp_path):
    files = []
    for run in ("a", "b"):
        ext = fixed_capture(tmp_path / run)
        for body in (b"<html>one</html>", b"<html>two</html>"):
            ext.response_downloaded(*reversed(exchange(body)))
        ext.close()
        files.extend(sorted((tmp_path / run / "warc").glob("*.warc.gz")))
    assert files[0].name == files[1].name == "t-20260102030405000-00001-host1.warc.gz"
    assert files[0].read_bytes() == files[1].read_bytes()


def test_identical_payload_becomes_a_revisit(tmp_path):
    ext = fixed_capture(tmp_path)
    first_req, first = exchange(b"<html>same</html>")
    ext.response_downloaded(first, first_req)
    second_req, second = exchange(b"<html>same</html>", url=URL.replace("a=1", "a=2"))
    ext.response_downloaded(second, second_req)
    ext.close()
    (path,) = (tmp_path / "warc").glob("*.warc.gz")
    records = list(iter_records(path))
    assert [r.rec_type for r in records] == ["warcinfo", "response", "request", "revisit",
                                             "request"]
    revisit = records[3].rec_headers
    assert revisit.get_header("WARC-Refers-To-Target-URI") == URL
    assert revisit.get_header("WARC-Refers-To") == records[1].rec_headers.get_header(
        "WARC-Record-ID")
    assert ext.stats["dedup/revisits"] == 1
    assert second_req.meta["warc_location"].result()[0].warc_type == "revisit"
    proc = subprocess.run([BIN / "warcio", "check", path], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_warcinfo_names_software_operator_and_robots_policy(tmp_path):
    ext = fixed_capture(tmp_path)
    ext.response_downloaded(*reversed(exchange(b"x")))
    ext.close()
    (path,) = (tmp_path / "warc").glob("*.warc.gz")
    info = next(iter_records(path))
    assert info.rec_type == "warcinfo"
    text = info.payload.decode()
    for line in ("software: sznews-archive/test", "operator: Op <op@example.org>",
                 "robots: obey", "format: WARC File Format 1.1"):
        assert line in text


def test_capture_filter_keeps_a_response_out(tmp_path):
    ext = fixed_capture(tmp_path)
    ext.filters.append(lambda request, response: "maintenance")
    request, response = exchange(b"x")
    ext.response_downloaded(response, request)
    ext.close()
    assert ext.stats["warc/skipped/maintenance"] == 1
    assert "warc_location" not in request.meta
    assert not list((tmp_path / "warc").glob("*.warc.gz")), "nothing written, no empty file"


def test_the_writer_closes_before_the_state_it_updates(tmp_path):
    """The writer thread's callbacks record captures in the state: state must close last."""
    from scrapy.utils.project import get_project_settings
    from scrapy.utils.test import get_crawler

    from crawler.run.end import RunEnd
    from spiders.sznews import SznewsSpider

    settings = {"EXTENSIONS": get_project_settings().getdict("EXTENSIONS"),
                "ADDONS": get_project_settings().getdict("ADDONS"),
                "ARCHIVE_DIR": str(tmp_path / "archive"), "JOBDIR": str(tmp_path / "job")}
    crawler = get_crawler(SznewsSpider, settings)  # builds the extensions, as crawling does
    end = crawler.get_extension(RunEnd)
    assert end is not None
    names = [name for name, _ in end.closing_steps()]
    assert names == ["warc", "inflight log", "state"]
    for _, close in end.closing_steps():
        close()


def stateful_capture(tmp: Path, state, ids: str, day: int) -> WarcCapture:
    """A capture that keeps payloads in a state database, as a crawl does."""
    numbers = (f"<urn:uuid:00000000-0000-0000-{ids}-{n:012d}>" for n in itertools.count(1))
    infos = (f"<urn:uuid:00000000-0000-1111-{ids}-{n:012d}>" for n in itertools.count(1))
    ext = WarcCapture(config(tmp), Stats(), "host1",
                      clock=lambda: datetime(2026, 1, day, 3, 4, 5, tzinfo=UTC),
                      record_id=lambda: next(numbers), warcinfo_id=lambda: next(infos))
    ext.revisits = True
    ext.state = state
    ext.open(tmp / "warc", tmp / "index.cdxj")
    return ext


def revisit_targets(path: Path) -> list[tuple[str, str, str]]:
    return [(r.rec_headers.get_header("WARC-Target-URI"),
             r.rec_headers.get_header("WARC-Refers-To"),
             r.rec_headers.get_header("WARC-Refers-To-Date"))
            for r in iter_records(path) if r.rec_type == "revisit"]


def test_payloads_live_in_the_state_and_revisits_reach_across_runs(tmp_path):
    from crawler.state.store import CaptureState

    state = CaptureState(tmp_path / "state.sqlite")
    first = stateful_capture(tmp_path, state, "aaaa", 3)
    first.response_downloaded(*reversed(exchange(b"<html>same</html>")))
    # Not written yet, let alone committed: the next identical payload must still see it.
    first.response_downloaded(*reversed(exchange(b"<html>same</html>", url=URL + "&b")))
    first.close()
    state.flush()
    assert state._pending_payloads == {}, "committed payloads are not held in memory"
    (digest,) = state._reader.execute("SELECT digest FROM payloads").fetchone()
    assert state.payload(digest).record_id == "<urn:uuid:00000000-0000-0000-aaaa-000000000001>"
    state.close()

    state = CaptureState(tmp_path / "state.sqlite")  # the next run
    second = stateful_capture(tmp_path, state, "bbbb", 4)
    second.response_downloaded(*reversed(exchange(b"<html>same</html>", url=URL + "&c")))
    second.close()
    state.close()
    targets = [t for path in sorted((tmp_path / "warc").glob("*.warc.gz"))
               for t in revisit_targets(path)]
    original = ("<urn:uuid:00000000-0000-0000-aaaa-000000000001>",
                "2026-01-02T03:04:06.000000Z")
    assert targets == [(URL + "&b", *original), (URL + "&c", *original)]


def test_an_archive_from_before_the_payload_table_is_learned_from_its_warcs(tmp_path):
    """Older archives have WARCs but no payloads in the state: the catch-up reads them from
    the records, so the first revisit names the original's exact date and record id."""
    from crawler.state.store import CaptureState

    old = fixed_capture(tmp_path)  # no state: as if the table had not existed
    old.response_downloaded(*reversed(exchange(b"<html>old</html>")))
    old.close()

    state = CaptureState(tmp_path / "state.sqlite")
    assert state.catch_up(tmp_path / "warc", tmp_path / "items")["captures"] == 1
    ext = stateful_capture(tmp_path, state, "cccc", 3)
    ext.response_downloaded(*reversed(exchange(b"<html>old</html>", url=URL + "&new")))
    ext.close()
    state.close()
    (newest,) = [p for p in (tmp_path / "warc").glob("*.warc.gz") if revisit_targets(p)]
    exact = ("<urn:uuid:00000000-0000-0000-0000-000000000001>", "2026-01-02T03:04:06.000000Z")
    assert revisit_targets(newest) == [(URL + "&new", *exact)]
    state = CaptureState(tmp_path / "state.sqlite")
    assert state.catch_up(tmp_path / "warc", tmp_path / "items") == {"captures": 0,
                                                                     "versions": 0}
    (digest,) = state._reader.execute("SELECT digest FROM payloads").fetchone()
    assert (state.payload(digest).record_id, state.payload(digest).warc_date) == exact
    state.close()


def test_versions_read_their_own_writes_before_the_commit(tmp_path):
    from crawler.state.store import CaptureState, Version

    state = CaptureState(tmp_path / "state.sqlite")
    assert state.version("u") == (0, "", None)
    state.record_version("u", Version(1, "run1", "c1"))
    assert state.version("u") == (1, "run1", "c1")
    state.flush()
    assert state._pending_versions == {}
    assert state.version("u") == (1, "run1", "c1")
    state.close()
    assert CaptureState(tmp_path / "state.sqlite").version("u") == (1, "run1", "c1")


def test_the_run_end_is_the_last_spider_closed_handler(tmp_path):
    """It starts its thread at once, and the report and health checks read what the
    not-site and maintenance middlewares' own spider_closed handlers fill in."""
    from pydispatch import dispatcher
    from scrapy import signals
    from scrapy.utils.project import get_project_settings
    from scrapy.utils.test import get_crawler

    from crawler.run.owner import run_of
    from spiders.sznews import SznewsSpider

    project = get_project_settings()
    settings = {name: project.getdict(name) for name in (
        "EXTENSIONS", "ADDONS", "SPIDER_MIDDLEWARES", "DOWNLOADER_MIDDLEWARES", "ITEM_PIPELINES")}
    settings |= {"ARCHIVE_DIR": str(tmp_path / "archive"), "JOBDIR": str(tmp_path / "job")}
    crawler = get_crawler(SznewsSpider, settings)
    crawler.spider = crawler._create_spider()
    crawler.engine = crawler._create_engine()  # the middlewares connect their handlers
    crawler.signals.send_catch_log(signals.spider_opened, spider=crawler.spider)

    def name(receiver) -> str:
        owner = getattr(receiver, "weakSelf", None)
        return f"{type(owner()).__name__}.{receiver.funcName}" if owner else str(receiver)

    handlers = [name(r) for r in dispatcher.getAllReceivers(crawler.signals.sender,
                                                            signals.spider_closed)]
    assert {"NotSiteMiddleware.spider_closed", "MaintenanceMiddleware.spider_closed"} < set(
        handlers[:-1])
    assert handlers[-1] == "RunEnd.spider_closed"
    run_of(crawler).close_state()
