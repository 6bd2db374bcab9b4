"""WARC/1.1 record construction from captured HTTP exchanges.

Everything here is pure (no I/O, no clock, no randomness): ids and dates come from the
caller so that the exact bytes of a record are reproducible in tests and in audits.

Why not warcio's ``WARCWriter.create_warc_record``/``create_revisit_record``, which would keep
our record ids and dates:

* it serialises HTTP headers through ``StatusAndHeaders.to_ascii_bytes``, which rewrites any
  header that is not ASCII (``Content-Disposition: attachment; filename=<GBK bytes>`` is
  stored as ``filename*=UTF-8''%C3%96...``), so the record would no longer hold the bytes the
  server sent (tests/test_archive_records.py pins them);
* it neither drops Transfer-Encoding nor fixes the HTTP Content-Length of the de-chunked
  body, so ``normalize_http_headers`` would stay anyway;
* it writes the WARC headers in its own order (the caller's first, then WARC-Type,
  WARC-Target-URI, the digests) and ``application/http; msgtype=response``: the exact-bytes
  tests would spell warcio's output instead of the format, and new files would differ from
  those already archived;
* through its writer (gzip level 9, its stream stack) a response/request pair of an 80 KB
  page took 1.25 times as long as building it here and ``writer.gzip_member`` (warcio 1.8.1).

The archive's promise is the wire's bytes (the real reason phrase, repeated headers, raw
Latin-1 header bytes), with only Content-Length fixed to the stored body and
Transfer-Encoding dropped, so records are built here; warcio reads them back
(``archive.reader``) and its checker passes them (tests/test_archive_index.py).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from archive.exchange import Exchange, HeaderValue, HttpRequestData, HttpResponseData

WARC_VERSION = b"WARC/1.1"
# Microsecond precision (allowed by WARC/1.1) so that two captures of the same URL in one
# second stay distinguishable; always six digits so the format never varies.
WARC_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

CONTENT_TYPE_RESPONSE = "application/http;msgtype=response"
CONTENT_TYPE_REQUEST = "application/http;msgtype=request"
CONTENT_TYPE_WARC_FIELDS = "application/warc-fields"

PROFILE_IDENTICAL_PAYLOAD = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
PROFILE_SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
REVISIT_PROFILES = (PROFILE_IDENTICAL_PAYLOAD, PROFILE_SERVER_NOT_MODIFIED)

WARCINFO_FORMAT = "WARC File Format 1.1"
# https: the address the crawl has always written (and the one the specification serves).
WARCINFO_CONFORMS_TO = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"

@dataclass(frozen=True)
class WarcRecord:
    """A complete record; `headers` already include digests and Content-Length."""

    record_id: str
    warc_type: str
    headers: list[tuple[str, str]] = field(hash=False)
    block: bytes = field(repr=False)

    def to_bytes(self) -> bytes:
        out = [WARC_VERSION, b"\r\n"]
        for name, value in self.headers:
            out.append(f"{name}: {value}\r\n".encode())
        out.append(b"\r\n")
        out.append(self.block)
        out.append(b"\r\n\r\n")
        return b"".join(out)

    def header(self, name: str) -> str | None:
        return find_header(self.headers, name)


def find_header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The first value of a header, names compared case-insensitively as WARC says."""
    lname = name.lower()
    for key, value in headers:
        if key.lower() == lname:
            return value
    return None


# --------------------------------------------------------------------------- helpers


def format_warc_date(date: datetime) -> str:
    """Render a WARC-Date; naive datetimes are refused because guessing a zone corrupts replay."""
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError(f"WARC dates must be timezone-aware, got naive {date!r}")
    return date.astimezone(UTC).strftime(WARC_DATE_FORMAT)


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def normalize_record_id(record_id: str) -> str:
    """Accept bare `urn:uuid:...` from id factories but always store the bracketed form."""
    record_id = record_id.strip()
    if not record_id.startswith("<"):
        record_id = f"<{record_id}>"
    _check_header_text(record_id)
    return record_id


def sha1_digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def payload_digest(body: bytes) -> str:
    """Digest of the entity body exactly as stored (still content-encoded)."""
    return sha1_digest(body)


def _to_bytes(value: HeaderValue) -> bytes:
    data = value.encode("latin-1") if isinstance(value, str) else bytes(value)
    if b"\r" in data or b"\n" in data:
        # A stray CR/LF would let a hostile server inject headers into our archive.
        raise ValueError(f"CR/LF not allowed in HTTP header data: {data!r}")
    return data


def _check_header_text(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(f"CR/LF not allowed in WARC header value: {value!r}")
    return value


def _is(name: bytes, wanted: bytes) -> bool:
    return name.strip().lower() == wanted


def normalize_http_headers(
    headers: Iterable[tuple[HeaderValue, HeaderValue]],
    body: bytes,
    *,
    force_content_length: bool,
) -> list[tuple[bytes, bytes]]:
    """Make the stored headers describe exactly the stored body.

    The body reaches us already de-chunked, so Transfer-Encoding must go and Content-Length
    must match what is stored, or replay tools would mis-frame the payload. Everything else,
    including repeated headers and Content-Encoding, is kept verbatim and in order.
    """
    pairs = [(_to_bytes(n), _to_bytes(v)) for n, v in headers]
    pairs = [(n, v) for n, v in pairs if not _is(n, b"transfer-encoding")]
    real = str(len(body)).encode("ascii")
    lengths = [v.strip() for n, v in pairs if _is(n, b"content-length")]
    if lengths == [real]:
        return pairs
    if not lengths and not body and not force_content_length:
        return pairs
    out: list[tuple[bytes, bytes]] = []
    placed = False
    for name, value in pairs:
        if _is(name, b"content-length"):
            if not placed:
                out.append((name, real))
                placed = True
            continue
        out.append((name, value))
    if not placed:
        out.append((b"Content-Length", real))
    return out


def _header_block(first_line: bytes, headers: Sequence[tuple[bytes, bytes]]) -> bytes:
    lines = [first_line, b"\r\n"]
    for name, value in headers:
        lines += [name, b": ", value, b"\r\n"]
    lines.append(b"\r\n")
    return b"".join(lines)


def _status_line(response: HttpResponseData) -> bytes:
    reason = _to_bytes(response.reason)
    return _to_bytes(f"{response.protocol} {int(response.status):03d} ") + reason


def origin_form(url: str) -> str:
    """Request target in origin form, used when the caller did not supply one."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return target


def host_header(url: str) -> bytes:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    if parts.port is not None and parts.port != default_port:
        host += f":{parts.port}"
    return host.encode("idna") if not host.isascii() else host.encode("ascii")


def response_http_block(response: HttpResponseData) -> bytes:
    headers = normalize_http_headers(response.headers, response.body, force_content_length=True)
    return _header_block(_status_line(response), headers) + response.body


def request_http_block(url: str, request: HttpRequestData) -> bytes:
    target = request.target or origin_form(url)
    line = _to_bytes(f"{request.method} {target} {request.protocol}")
    headers = normalize_http_headers(request.headers, request.body, force_content_length=False)
    if not any(_is(n, b"host") for n, _ in headers):
        headers.insert(0, (b"Host", host_header(url)))
    return _header_block(line, headers) + request.body


def _finish(
    warc_type: str,
    record_id: str,
    headers: list[tuple[str, str]],
    block: bytes,
    content_type: str,
    *,
    block_digest: bool = True,
) -> WarcRecord:
    full = [(n, _check_header_text(v)) for n, v in headers]
    if block_digest:
        full.append(("WARC-Block-Digest", sha1_digest(block)))
    full.append(("Content-Type", content_type))
    full.append(("Content-Length", str(len(block))))
    return WarcRecord(record_id=record_id, warc_type=warc_type, headers=full, block=block)


def _base_headers(
    warc_type: str, record_id: str, date: datetime, url: str, ip: str | None
) -> list[tuple[str, str]]:
    headers = [
        ("WARC-Type", warc_type),
        ("WARC-Record-ID", record_id),
        ("WARC-Date", format_warc_date(date)),
        ("WARC-Target-URI", url),
    ]
    if ip:
        headers.append(("WARC-IP-Address", ip))
    return headers


# --------------------------------------------------------------------------- factories


def request_record(
    exchange: Exchange, *, record_id: str, concurrent_to: str
) -> WarcRecord:
    """Request record tied to its response (or revisit) via WARC-Concurrent-To."""
    record_id = normalize_record_id(record_id)
    headers = _base_headers("request", record_id, exchange.date, exchange.url,
                            exchange.ip_address)
    headers.append(("WARC-Concurrent-To", normalize_record_id(concurrent_to)))
    block = request_http_block(exchange.url, exchange.request)
    return _finish("request", record_id, headers, block, CONTENT_TYPE_REQUEST)


def response_record(exchange: Exchange, *, record_id: str) -> WarcRecord:
    record_id = normalize_record_id(record_id)
    headers = _base_headers("response", record_id, exchange.date, exchange.url,
                            exchange.ip_address)
    block = response_http_block(exchange.response)
    headers.append(("WARC-Block-Digest", sha1_digest(block)))
    headers.append(("WARC-Payload-Digest", payload_digest(exchange.response.body)))
    return _finish("response", record_id, headers, block, CONTENT_TYPE_RESPONSE,
                   block_digest=False)


def exchange_records(
    exchange: Exchange, *, response_id: str, request_id: str
) -> tuple[WarcRecord, WarcRecord]:
    """(response, request): response first, as pywb and warcio pair them that way."""
    response = response_record(exchange, record_id=response_id)
    request = request_record(exchange, record_id=request_id, concurrent_to=response.record_id)
    return response, request


def revisit_record(
    exchange: Exchange,
    *,
    record_id: str,
    profile: str,
    refers_to_uri: str,
    refers_to_date: datetime | str,
    refers_to_record_id: str | None,
    payload_digest: str,
) -> WarcRecord:
    """Revisit record holding only the HTTP status line and headers.

    `payload_digest` must be the digest of the ORIGINAL stored payload: pywb finds the
    original by (WARC-Refers-To-Target-URI, digest), so for a 304 it cannot be computed from
    the (empty) 304 body.
    """
    if profile not in REVISIT_PROFILES:
        raise ValueError(f"unknown revisit profile {profile!r}")
    record_id = normalize_record_id(record_id)
    response = exchange.response
    if profile == PROFILE_IDENTICAL_PAYLOAD:
        # Headers describe the payload that lives in the original record.
        http_headers = normalize_http_headers(response.headers, response.body,
                                              force_content_length=True)
    else:
        # A 304 is kept as sent (minus framing); its body, if any, is not archived.
        http_headers = normalize_http_headers(response.headers, b"",
                                              force_content_length=False)
    block = _header_block(_status_line(response), http_headers)
    if isinstance(refers_to_date, datetime):
        refers_to_date = format_warc_date(refers_to_date)
    headers = _base_headers("revisit", record_id, exchange.date, exchange.url,
                            exchange.ip_address)
    headers.append(("WARC-Profile", profile))
    if refers_to_record_id:
        headers.append(("WARC-Refers-To", normalize_record_id(refers_to_record_id)))
    headers.append(("WARC-Refers-To-Target-URI", refers_to_uri))
    headers.append(("WARC-Refers-To-Date", refers_to_date))
    headers.append(("WARC-Payload-Digest", payload_digest))
    headers.append(("WARC-Block-Digest", sha1_digest(block)))
    if profile == PROFILE_IDENTICAL_PAYLOAD:
        headers.append(("WARC-Truncated", "length"))
    return _finish("revisit", record_id, headers, block, CONTENT_TYPE_RESPONSE,
                   block_digest=False)


def revisit_records(
    exchange: Exchange,
    *,
    revisit_id: str,
    request_id: str,
    profile: str,
    refers_to_uri: str,
    refers_to_date: datetime | str,
    refers_to_record_id: str | None,
    payload_digest: str,
) -> tuple[WarcRecord, WarcRecord]:
    """(revisit, request) pair, mirroring exchange_records for deduplicated captures."""
    revisit = revisit_record(
        exchange,
        record_id=revisit_id,
        profile=profile,
        refers_to_uri=refers_to_uri,
        refers_to_date=refers_to_date,
        refers_to_record_id=refers_to_record_id,
        payload_digest=payload_digest,
    )
    request = request_record(exchange, record_id=request_id, concurrent_to=revisit.record_id)
    return revisit, request


def warcinfo_record(
    *, filename: str, date: datetime, record_id: str, fields: dict[str, str]
) -> WarcRecord:
    """warcinfo describing the crawl; field order is the caller's dict order."""
    record_id = normalize_record_id(record_id)
    lines = []
    for name, value in fields.items():
        _check_header_text(name)
        _check_header_text(str(value))
        lines.append(f"{name}: {value}\r\n".encode())
    block = b"".join(lines)
    headers = [
        ("WARC-Type", "warcinfo"),
        ("WARC-Record-ID", record_id),
        ("WARC-Date", format_warc_date(date)),
        ("WARC-Filename", filename),
    ]
    return _finish("warcinfo", record_id, headers, block, CONTENT_TYPE_WARC_FIELDS)

