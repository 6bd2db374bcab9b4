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
from crawler.downloader import FETCH_BEGAN, REASON
from crawler.extensions.warc import WarcCapture, WarcConfig, exchange_from

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
    from scrapy.utils.test import get_crawler

    from crawler.run import run_context
    from spiders.sznews import SznewsSpider

    crawler = get_crawler(SznewsSpider, {"ARCHIVE_DIR": str(tmp_path)})
    WarcCapture.from_crawler(crawler)
    names = [name for name, _ in run_context(crawler).finalizers]
    assert names.index("warc") < names.index("state")
