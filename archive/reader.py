"""Reading records back by (offset, length), the way replay tools do from a CDXJ line."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from archive.members import iter_gzip_members


class ArchiveReadError(ValueError):
    pass


@dataclass(frozen=True)
class StoredRecord:
    """A fully read record, detached from the file so callers need not manage streams."""

    offset: int
    length: int
    rec_type: str
    rec_headers: StatusAndHeaders
    http_headers: StatusAndHeaders | None
    payload: bytes  # bytes after the HTTP headers exactly as stored (still content-encoded)

    @property
    def record_id(self) -> str | None:
        return self.rec_headers.get_header("WARC-Record-ID")

    @property
    def target_uri(self) -> str | None:
        return self.rec_headers.get_header("WARC-Target-URI")


def parse_one(data: bytes, offset: int, length: int, where: str) -> StoredRecord:
    iterator = ArchiveIterator(io.BytesIO(data), no_record_parse=False)
    try:
        record = next(iter(iterator))
    except StopIteration:
        raise ArchiveReadError(f"no WARC record at {where}") from None
    payload = record.raw_stream.read()
    return StoredRecord(
        offset=offset,
        length=length,
        rec_type=record.rec_type,
        rec_headers=record.rec_headers,
        http_headers=record.http_headers,
        payload=payload,
    )


def read_member(path: Path, offset: int, length: int) -> bytes:
    """The bytes of one gzip member, as pywb reads them with a CDXJ offset/length."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    if len(data) != length:
        raise ArchiveReadError(f"{path}: short read at {offset} (+{length})")
    return data


def read_record(path: Path, offset: int, length: int) -> StoredRecord:
    """Read exactly one gzip member, as pywb does with a CDXJ offset/length."""
    data = read_member(path, offset, length)
    return parse_one(data, offset, length, f"{path}:{offset}")


def iter_records(path: Path) -> Iterator[StoredRecord]:
    """Every record with its member offset/length; fails loudly on a damaged member."""
    with open(path, "rb") as fh:
        for member in iter_gzip_members(fh):
            if member.data is None:
                raise ArchiveReadError(f"{path}: broken gzip member at offset {member.offset}")
            yield parse_one(member.data, member.offset, member.length, f"{path}:{member.offset}")
