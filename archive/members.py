"""The one walk over a WARC file's gzip members, and the one strict check of a record's framing.

Every reader here (the fast scanner, recovery of ``.open`` files, ``verify``, reading the
request after a response) walks the same gzip-per-record files, so they share one walker:
the fast one, which feeds the decompressor small slices of a memoryview so that no member's
end copies the rest of a large read (re-extraction spent a quarter of its CPU in warcio's
stream stack before). It reports exact member boundaries and stops at the first member that
is truncated or not gzip; ``iter_members_resyncing`` is the same walk for ``verify``, which
goes on at the next intact record so that one bad record does not hide the rest.

``parse_record`` is the strict framing check recovery and ``verify`` both need: exactly one
complete WARC record per member, told from the bytes alone, without trusting warcio's
lenient reading. Reading records (header values as warcio gives them) is ``archive.fastread``.
"""

from __future__ import annotations

import mmap
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

from archive.records import find_header

READ_SIZE = 1 << 20
# Bytes given to the decompressor at a time: what it leaves unused after a member's end is
# copied out, so a small feed keeps that copy small.
_FEED = 16 * 1024
_RESYNC_READ = 16 * 1024  # a probe for the next member reads little: most candidates are noise
GZIP_MAGIC = b"\x1f\x8b\x08"

TRUNCATED = "file ends inside this gzip member (truncated)"


class GzipMember(NamedTuple):
    offset: int
    length: int
    data: bytes | None  # decompressed content; None when the member is broken/incomplete
    error: str | None = None  # why data is None


def iter_gzip_members(
    fh: BinaryIO, chunk_size: int = READ_SIZE, *, start: int = 0
) -> Iterator[GzipMember]:
    """Walk a multi-member gzip stream from ``start``, reporting exact member boundaries.

    Stops (yielding a member with data=None and the reason) at the first member that is
    truncated or not gzip at all, since nothing after a broken member can be trusted.
    """
    fh.seek(start)
    buf = memoryview(b"")
    pos = 0  # in buf
    base = start  # file offset of buf[0]
    while True:
        if pos >= len(buf):
            base += len(buf)
            buf, pos = memoryview(fh.read(chunk_size)), 0
            if not buf:
                return
        decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        begin = base + pos
        out: list[bytes] = []
        try:
            while True:
                if pos >= len(buf):
                    base += len(buf)
                    buf, pos = memoryview(fh.read(chunk_size)), 0
                    if not buf:
                        yield GzipMember(begin, base - begin, None, TRUNCATED)
                        return
                chunk = buf[pos : pos + _FEED]
                out.append(decomp.decompress(chunk))
                if decomp.eof:
                    pos += len(chunk) - len(decomp.unused_data)
                    break
                pos += len(chunk)
        except zlib.error as exc:
            yield GzipMember(begin, base + pos - begin, None, f"gzip data is corrupt ({exc})")
            return
        yield GzipMember(begin, base + pos - begin, b"".join(out))


def _next_record_member(fh: BinaryIO, buf: mmap.mmap, start: int) -> int | None:
    """Offset of the next intact member holding a WARC record at or after ``start``."""
    pos = start
    while True:
        pos = buf.find(GZIP_MAGIC, pos)
        if pos < 0:
            return None
        first = next(iter_gzip_members(fh, _RESYNC_READ, start=pos), None)
        if first is not None and first.data is not None and first.data.startswith(b"WARC/"):
            return pos
        pos += 1


def iter_members_resyncing(path: Path) -> Iterator[GzipMember]:
    """Every gzip member of a file; a damaged span comes out as one data=None member whose
    error says what was skipped, and the walk goes on at the next intact record."""
    with open(path, "rb") as fh:
        size = fh.seek(0, 2)
        if size == 0:
            return
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            start = 0
            while start < size:
                damaged = None
                for member in iter_gzip_members(fh, start=start):
                    if member.data is None:
                        damaged = member
                        break
                    yield member
                if damaged is None:
                    return
                pos = damaged.offset
                nxt = _next_record_member(fh, buf, pos + 1)
                end = size if nxt is None else nxt
                what = damaged.error or "unreadable gzip member"
                if nxt is None and pos > 0:
                    what = (f"trailing garbage or truncated member: the last {end - pos} "
                            f"bytes of the file are not a readable gzip member ({what})")
                elif nxt is not None:
                    what = f"{what}; {end - pos} bytes skipped, reading resumes at {end}"
                yield GzipMember(pos, end - pos, None, what)
                if nxt is None:
                    return
                start = nxt


# --------------------------------------------------------------------------- framing


class RecordError(ValueError):
    pass


@dataclass
class ParsedRecord:
    version: str
    headers: list[tuple[str, str]]
    block: bytes

    def get(self, name: str) -> str | None:
        return find_header(self.headers, name)

    def get_all(self, name: str) -> list[str]:
        lname = name.lower()
        return [value for key, value in self.headers if key.lower() == lname]


def parse_record(data: bytes) -> ParsedRecord:
    """Exactly one WARC record, framed as the spec says, or RecordError."""
    if not data.startswith(b"WARC/"):
        raise RecordError("gzip member does not start with a WARC record (no 'WARC/' line)")
    end = data.find(b"\r\n\r\n")
    if end < 0:
        raise RecordError("WARC header block is not terminated by an empty line")
    try:
        lines = data[:end].decode("utf-8").split("\r\n")
    except UnicodeDecodeError:
        raise RecordError("WARC header block is not valid UTF-8") from None
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise RecordError(f"malformed WARC header line {line!r}")
        headers.append((name.strip(), value.strip()))
    record = ParsedRecord(lines[0].strip(), headers, b"")
    raw_length = record.get("Content-Length")
    try:
        length = int(raw_length or "")
    except ValueError:
        raise RecordError(f"missing or invalid Content-Length {raw_length!r}") from None
    start = end + 4
    block = data[start:start + length]
    if len(block) < length:
        raise RecordError(f"block is {len(block)} bytes, shorter than Content-Length {length}")
    tail = data[start + length:]
    if not tail.startswith(b"\r\n\r\n"):
        raise RecordError("record does not end with CRLF CRLF after its block")
    if len(tail) > 4:
        raise RecordError(f"{len(tail) - 4} extra bytes after the record in its gzip member "
                          "(one record per member expected)")
    record.block = block
    return record
