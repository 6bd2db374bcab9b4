"""Exact-bytes tests: expected records are spelled out literally, digests via hashlib."""

from __future__ import annotations

import base64
import gzip
import hashlib
import itertools
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from archive.records import (
    PROFILE_IDENTICAL_PAYLOAD,
    PROFILE_SERVER_NOT_MODIFIED,
    Exchange,
    HttpRequestData,
    HttpResponseData,
    exchange_records,
    format_warc_date,
    revisit_record,
    warcinfo_record,
)
from archive.writer import WarcFileWriter

DATE = datetime(2024, 5, 1, 8, 30, 15, 123456, tzinfo=UTC)
URL = "http://sznews.zjol.com.cn/sznews/index.shtml?a=1"


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def ids():
    counter = itertools.count(1)
    return lambda: f"<urn:uuid:00000000-0000-0000-0000-{next(counter):012d}>"


def make_exchange(body: bytes = b"<html>hi</html>", headers=None, status=200,
                  reason=b"OK") -> Exchange:
    if headers is None:
        headers = [(b"Content-Type", b"text/html"), (b"Content-Length", b"15")]
    return Exchange(
        url=URL,
        date=DATE,
        ip_address="1.2.3.4",
        request=HttpRequestData(
            method="GET",
            target="/sznews/index.shtml?a=1",
            protocol="HTTP/1.1",
            headers=[(b"User-Agent", b"bot/1"), (b"Accept", b"*/*")],
        ),
        response=HttpResponseData(
            protocol="HTTP/1.1", status=status, reason=reason, headers=headers, body=body
        ),
    )


def members(path: Path) -> list[bytes]:
    data = path.read_bytes()
    out = []
    while data:
        d = zlib.decompressobj(31)
        out.append(d.decompress(data))
        assert d.eof
        data = d.unused_data
    return out


def test_exact_bytes_warcinfo_request_response(tmp_path: Path) -> None:
    clock_times = iter([DATE])
    writer = WarcFileWriter(
        tmp_path,
        prefix="SZ",
        host="crawl1",
        max_size=10_000_000,
        warcinfo_fields={"software": "sznews-archive/0.1", "format": "WARC File Format 1.1"},
        clock=lambda: next(clock_times),
        record_id=ids(),
    )
    # ids: the exchange's records are built first (1, 2), then the file opens (3).
    writer.write_exchange(make_exchange())
    writer.close()
    name = "SZ-20240501083015123-00001-crawl1.warc.gz"
    assert [p.name for p in writer.files] == [name]
    got = members(tmp_path / name)

    info_block = b"software: sznews-archive/0.1\r\nformat: WARC File Format 1.1\r\n"
    expected_info = (
        b"WARC/1.1\r\n"
        b"WARC-Type: warcinfo\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000003>\r\n"
        b"WARC-Date: 2024-05-01T08:30:15.123456Z\r\n"
        b"WARC-Filename: " + name.encode() + b"\r\n"
        b"WARC-Block-Digest: " + sha1_b32(info_block).encode() + b"\r\n"
        b"Content-Type: application/warc-fields\r\n"
        b"Content-Length: " + str(len(info_block)).encode() + b"\r\n"
        b"\r\n" + info_block + b"\r\n\r\n"
    )
    resp_block = (
        b"HTTP/1.1 200 OK\r\n"
        b"Content-Type: text/html\r\n"
        b"Content-Length: 15\r\n"
        b"\r\n"
        b"<html>hi</html>"
    )
    expected_resp = (
        b"WARC/1.1\r\n"
        b"WARC-Type: response\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
        b"WARC-Date: 2024-05-01T08:30:15.123456Z\r\n"
        b"WARC-Target-URI: http://sznews.zjol.com.cn/sznews/index.shtml?a=1\r\n"
        b"WARC-IP-Address: 1.2.3.4\r\n"
        b"WARC-Block-Digest: " + sha1_b32(resp_block).encode() + b"\r\n"
        b"WARC-Payload-Digest: " + sha1_b32(b"<html>hi</html>").encode() + b"\r\n"
        b"Content-Type: application/http;msgtype=response\r\n"
        b"Content-Length: " + str(len(resp_block)).encode() + b"\r\n"
        b"\r\n" + resp_block + b"\r\n\r\n"
    )
    req_block = (
        b"GET /sznews/index.shtml?a=1 HTTP/1.1\r\n"
        b"Host: sznews.zjol.com.cn\r\n"
        b"User-Agent: bot/1\r\n"
        b"Accept: */*\r\n"
        b"\r\n"
    )
    expected_req = (
        b"WARC/1.1\r\n"
        b"WARC-Type: request\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000002>\r\n"
        b"WARC-Date: 2024-05-01T08:30:15.123456Z\r\n"
        b"WARC-Target-URI: http://sznews.zjol.com.cn/sznews/index.shtml?a=1\r\n"
        b"WARC-IP-Address: 1.2.3.4\r\n"
        b"WARC-Concurrent-To: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
        b"WARC-Block-Digest: " + sha1_b32(req_block).encode() + b"\r\n"
        b"Content-Type: application/http;msgtype=request\r\n"
        b"Content-Length: " + str(len(req_block)).encode() + b"\r\n"
        b"\r\n" + req_block + b"\r\n\r\n"
    )
    assert got == [expected_info, expected_resp, expected_req]


def test_transfer_encoding_dropped_and_content_length_fixed() -> None:
    body = gzip.compress(b"x" * 100, mtime=0)
    ex = make_exchange(
        body=body,
        headers=[
            (b"Content-Type", b"text/html"),
            (b"Transfer-Encoding", b"chunked"),
            (b"Content-Encoding", b"gzip"),
            (b"Set-Cookie", b"a=1"),
            (b"set-cookie", b"b=2"),
        ],
    )
    response, _ = exchange_records(ex, response_id="urn:uuid:r", request_id="urn:uuid:q")
    head, _, stored = response.block.partition(b"\r\n\r\n")
    assert stored == body
    assert head.split(b"\r\n") == [
        b"HTTP/1.1 200 OK",
        b"Content-Type: text/html",
        b"Content-Encoding: gzip",
        b"Set-Cookie: a=1",
        b"set-cookie: b=2",
        b"Content-Length: " + str(len(body)).encode(),
    ]
    assert response.header("WARC-Payload-Digest") == sha1_b32(body)
    assert response.record_id == "<urn:uuid:r>"


def test_wrong_content_length_replaced_in_place() -> None:
    ex = make_exchange(
        body=b"abc",
        headers=[(b"Content-Length", b"999"), (b"X-A", b"1"), (b"Content-Length", b"999")],
    )
    response, _ = exchange_records(ex, response_id="<urn:uuid:r>", request_id="<urn:uuid:q>")
    head = response.block.split(b"\r\n\r\n")[0]
    assert head.split(b"\r\n")[1:] == [b"Content-Length: 3", b"X-A: 1"]


def test_reason_phrase_and_protocol_kept() -> None:
    ex = make_exchange(body=b"", headers=[], status=404, reason=b"Not Found Here")
    ex = Exchange(ex.url, ex.date, None, ex.request,
                  HttpResponseData("HTTP/1.0", 404, b"Not Found Here", [], b""))
    response, request = exchange_records(ex, response_id="<urn:uuid:r>",
                                         request_id="<urn:uuid:q>")
    assert response.block == b"HTTP/1.0 404 Not Found Here\r\nContent-Length: 0\r\n\r\n"
    assert response.header("WARC-IP-Address") is None
    assert request.header("WARC-Date") == response.header("WARC-Date")


def test_non_ascii_header_bytes_stored_as_sent() -> None:
    """The wire's bytes, not warcio's RFC 8187 rewrite (``filename*=UTF-8''%C3%96...``)."""
    disposition = b"attachment; filename=" + "嵊州新闻.doc".encode("gbk")
    ex = make_exchange(body=b"", headers=[(b"Content-Disposition", disposition)],
                       reason="Gut\xe9".encode("latin-1"))
    response, _ = exchange_records(ex, response_id="<urn:uuid:r>", request_id="<urn:uuid:q>")
    assert response.block == (b"HTTP/1.1 200 Gut\xe9\r\nContent-Disposition: " + disposition
                              + b"\r\nContent-Length: 0\r\n\r\n")


def test_header_injection_rejected() -> None:
    ex = make_exchange(headers=[(b"X-Evil", b"a\r\nSet-Cookie: x")])
    with pytest.raises(ValueError):
        exchange_records(ex, response_id="<urn:uuid:r>", request_id="<urn:uuid:q>")


def test_date_format_and_naive_rejected() -> None:
    tz = timezone(timedelta(hours=8))
    assert format_warc_date(datetime(2024, 5, 1, 16, 0, 0, tzinfo=tz)) == (
        "2024-05-01T08:00:00.000000Z"
    )
    with pytest.raises(ValueError):
        format_warc_date(datetime(2024, 5, 1))


def test_revisit_identical_payload_bytes() -> None:
    body = b"<html>hi</html>"
    ex = make_exchange(body=body, headers=[(b"Content-Type", b"text/html"),
                                           (b"Transfer-Encoding", b"chunked")])
    rec = revisit_record(
        ex,
        record_id="<urn:uuid:v>",
        profile=PROFILE_IDENTICAL_PAYLOAD,
        refers_to_uri="http://sznews.zjol.com.cn/old",
        refers_to_date=datetime(2024, 4, 1, tzinfo=UTC),
        refers_to_record_id="<urn:uuid:orig>",
        payload_digest=sha1_b32(body),
    )
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 15\r\n\r\n"
    assert rec.to_bytes() == (
        b"WARC/1.1\r\n"
        b"WARC-Type: revisit\r\n"
        b"WARC-Record-ID: <urn:uuid:v>\r\n"
        b"WARC-Date: 2024-05-01T08:30:15.123456Z\r\n"
        b"WARC-Target-URI: http://sznews.zjol.com.cn/sznews/index.shtml?a=1\r\n"
        b"WARC-IP-Address: 1.2.3.4\r\n"
        b"WARC-Profile: http://netpreserve.org/warc/1.1/revisit/identical-payload-digest\r\n"
        b"WARC-Refers-To: <urn:uuid:orig>\r\n"
        b"WARC-Refers-To-Target-URI: http://sznews.zjol.com.cn/old\r\n"
        b"WARC-Refers-To-Date: 2024-04-01T00:00:00.000000Z\r\n"
        b"WARC-Payload-Digest: " + sha1_b32(body).encode() + b"\r\n"
        b"WARC-Block-Digest: " + sha1_b32(block).encode() + b"\r\n"
        b"WARC-Truncated: length\r\n"
        b"Content-Type: application/http;msgtype=response\r\n"
        b"Content-Length: " + str(len(block)).encode() + b"\r\n"
        b"\r\n" + block + b"\r\n\r\n"
    )


def test_revisit_server_not_modified_keeps_304_headers() -> None:
    ex = make_exchange(body=b"", status=304, reason=b"Not Modified",
                       headers=[(b"ETag", b'"abc"'), (b"Date", b"Wed, 01 May 2024 08:30:15 GMT")])
    rec = revisit_record(
        ex,
        record_id="<urn:uuid:v>",
        profile=PROFILE_SERVER_NOT_MODIFIED,
        refers_to_uri=URL,
        refers_to_date="2024-04-01T00:00:00.000000Z",
        refers_to_record_id=None,
        payload_digest="sha1:AAAA",
    )
    assert rec.block == (
        b'HTTP/1.1 304 Not Modified\r\nETag: "abc"\r\nDate: Wed, 01 May 2024 08:30:15 GMT\r\n\r\n'
    )
    assert rec.header("WARC-Profile") == PROFILE_SERVER_NOT_MODIFIED
    assert rec.header("WARC-Refers-To") is None
    assert rec.header("WARC-Truncated") is None
    assert rec.header("WARC-Payload-Digest") == "sha1:AAAA"


def test_warcinfo_record_fields_in_order() -> None:
    rec = warcinfo_record(filename="f.warc.gz", date=DATE, record_id="urn:uuid:i",
                          fields={"b": "2", "a": "1"})
    assert rec.block == b"b: 2\r\na: 1\r\n"
    assert rec.header("WARC-Filename") == "f.warc.gz"
