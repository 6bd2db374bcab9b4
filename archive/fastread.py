"""Reading back the records this project writes, several times faster than warcio.

A re-extraction reads every record of the archive once to index it and most response
records a second time to extract them; through warcio's layered stream readers that was
over a quarter of its CPU. This module reads the plain, well-formed records the crawl writes
with a regex, split and slices, giving exactly what warcio gives (same lines, same decoding,
same header tuples), and hands anything else to warcio itself (``archive.reader``), so odd
or damaged records still read, or fail, exactly as before. This is the one reading parser
of WARC and HTTP header blocks; gzip members come from ``archive.members``, the one walker.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders

from archive.members import iter_gzip_members
from archive.reader import ArchiveReadError, StoredRecord, parse_one, read_member

_WARC_VERSIONS = ("WARC/1.1", "WARC/1.0", "WARC/0.17", "WARC/0.18")  # warcio's WARC_TYPES
_HTTP_RECORDS = ("response", "request", "revisit")  # warcio parses HTTP headers of these
_GZIP_MAGIC = b"\x1f\x8b"
# warcio reads 16 KiB at a time and its readline can cut a line that spans more than two
# reads; no line of a header block this small does, so there its lines are ours.
_MAX_HEADER_BLOCK = 8 * 1024
# A header block of printable ASCII lines, each starting with a visible character, up to
# and including the empty line that ends it.
_SIMPLE_BLOCK = re.compile(rb"(?:[\x21-\x7e][\x20-\x7e]*\r\n)+\r\n")


class _NotPlain(Exception):
    """The record is not one the fast reader parses exactly as warcio does: warcio reads it."""


def _header_line(raw: bytes) -> str:
    """warcio's StatusAndHeadersParser.decode_header: UTF-8 when valid, else Latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("iso-8859-1")


def _header_block(
    data: bytes, pos: int, end: int, prefixes: tuple[str, ...] | None
) -> tuple[StatusAndHeaders, int]:
    """warcio's ``StatusAndHeadersParser.parse`` over ``data[pos:end]``, and where it stopped.

    Same line splitting (after each LF), decoding, stripping and continuation lines.
    ``prefixes``: the status line must start with one of them (warcio's ``verify``); None
    splits the protocol off at the first space as warcio's HTTP parser does unverified.
    Raises _NotPlain for an empty block or a bad status line (warcio's errors stay its own).
    """
    first = pos
    simple = _SIMPLE_BLOCK.match(data, pos, end)
    if simple is not None:
        # Printable ASCII lines ending in CRLF, none blank or continued before the empty
        # one: splitting at CRLF is warcio's line by line reading, at C speed.
        pos = simple.end()
        lines = simple.group().decode("ascii").split("\r\n")
        statusline = lines[0].rstrip()
        headers: list[tuple[str, str]] = []
        for line in lines[1:-2]:
            name, sep, value = line.rstrip().partition(":")
            if sep:
                headers.append((name.rstrip(" \t"), value.lstrip()))
        total = pos - first
    else:
        statusline, headers, total, pos = _header_lines(data, pos, end)
    if pos - first > _MAX_HEADER_BLOCK:
        raise _NotPlain  # a line may span several of warcio's buffers: it splits those oddly
    if prefixes is None:
        protocol_status = statusline.split(" ", 1)
    else:
        upper = statusline.upper()
        for prefix in prefixes:
            if upper.startswith(prefix):
                protocol_status = [upper[: len(prefix)], statusline[len(prefix) :]]
                break
        else:
            raise _NotPlain
    status = protocol_status[1].strip() if len(protocol_status) > 1 else ""
    parsed = StatusAndHeaders(status, [], protocol_status[0], total_len=total)
    parsed.headers = headers  # already (str, str) pairs: spare the constructor's copy
    return parsed, pos


def _header_lines(data: bytes, pos: int, end: int) -> tuple[str, list[tuple[str, str]], int, int]:
    """warcio's parse loop, line by line: (status line, headers, characters read, end)."""
    total = 0

    def read_line() -> str:
        nonlocal pos, total
        nl = data.find(b"\n", pos, end)
        stop = end if nl < 0 else nl + 1
        raw = _header_line(data[pos:stop])
        pos = stop
        total += len(raw)
        return raw.rstrip()

    statusline = read_line()
    if not statusline:
        raise _NotPlain
    headers: list[tuple[str, str]] = []
    line = read_line()
    while line:
        name, sep, value = line.partition(":")
        if sep:
            name = name.rstrip(" \t")
            value = value.lstrip()
        next_line = read_line()
        while next_line and next_line.startswith((" ", "\t")):
            if sep:
                value += next_line
            next_line = read_line()
        if sep:
            headers.append((name, value))
        line = next_line
    return statusline, headers, total, pos


def _plain_record(
    data: bytes, offset: int, length: int, *, http_of: tuple[str, ...] = _HTTP_RECORDS,
    payload_of: tuple[str, ...] | None = None,
) -> StoredRecord:
    """The first record of an uncompressed member, as warcio's ArchiveIterator reads it.

    ``http_of``/``payload_of`` (None: all) let the scan skip the HTTP headers and payloads
    it never looks at; the record then has ``http_headers`` None and an empty payload.
    Raises _NotPlain where the record is not complete and well-formed.
    """
    rec_headers, start = _header_block(data, 0, len(data), _WARC_VERSIONS)
    rec_type = rec_headers.get_header("WARC-Type")
    uri = rec_headers.get_header("WARC-Target-URI")
    if uri is not None and (" " in uri or (uri.startswith("<") and uri.endswith(">"))):
        raise _NotPlain  # warcio rewrites such a target URI (and logs it)
    try:
        end = start + int(rec_headers.get_header("Content-Length"))
    except (TypeError, ValueError):
        raise _NotPlain from None
    if not start <= end <= len(data):
        raise _NotPlain  # truncated, or a negative length
    http_headers = None
    body = start
    if end > start and rec_type in _HTTP_RECORDS:
        if uri is None:
            raise _NotPlain  # warcio fails on it
        if rec_type in http_of and uri.startswith(("http:", "https:")):
            http_headers, body = _header_block(data, start, end, None)
    keep = payload_of is None or rec_type in payload_of
    return StoredRecord(
        offset=offset,
        length=length,
        rec_type=rec_type,
        rec_headers=rec_headers,
        http_headers=http_headers,
        payload=data[body:end] if keep else b"",
    )


def parse_member(data: bytes, offset: int, length: int, where: str) -> StoredRecord:
    """The record of one inflated gzip member: read here when plain, else by warcio."""
    try:
        return _plain_record(data, offset, length)
    except _NotPlain:
        return parse_one(data, offset, length, where)


def read_record_at(path: Path, offset: int, length: int) -> StoredRecord:
    """``archive.reader.read_record``, reading plain records without warcio's stream stack."""
    data = read_member(path, offset, length)
    if data[:2] == _GZIP_MAGIC:
        decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            plain = decomp.decompress(data)
        except zlib.error:
            plain = None
        if plain is not None and decomp.eof and not decomp.unused_data:
            try:
                return _plain_record(plain, offset, length)
            except _NotPlain:
                pass
    return parse_one(data, offset, length, f"{path}:{offset}")


def scan_records(path: Path, start: int = 0) -> Iterator[StoredRecord]:
    """``archive.reader.iter_records`` for a scan: warcinfo payloads, response/revisit HTTP
    headers, nothing else parsed (a request record comes without its HTTP headers).
    ``start``: the offset of the record to begin with (0: the whole file)."""
    with open(path, "rb") as fh:
        for offset, length, data, _error in iter_gzip_members(fh, start=start):
            if data is None:
                raise ArchiveReadError(f"{path}: broken gzip member at offset {offset}")
            yield scan_member(data, offset, length, f"{path}:{offset}")


def scan_member(data: bytes, offset: int, length: int, where: str) -> StoredRecord:
    """One inflated member as ``scan_records`` reads it; the writer indexes the records it
    has just written through this too, so a line made at write time is a rebuild's line."""
    try:
        return _plain_record(
            data, offset, length, http_of=("response", "revisit"), payload_of=("warcinfo",)
        )
    except _NotPlain:
        return parse_one(data, offset, length, where)
