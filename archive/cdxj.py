"""CDXJ lines for pywb, made from WARC and HTTP headers alone: no payload is ever decoded.

cdxj-indexer (through warcio) copies every record's *decoded* content into a spool file
before it looks at the headers: a ``Content-Encoding: br`` body made it raise (warcio 1.8.1
and brotli 1.2.1 disagree on ``unused_data``) and a gzip bomb was inflated again on every
rebuild. An index line needs only header fields, so this module reads records with the
project's fast scanner (``archive.fastread.scan_records``, which parses HTTP headers of
responses and revisits and never touches payloads) and writes what cdxj-indexer writes for
this project's records, line for line: the SURT key, the 14-digit timestamp and ``url``,
``mime``, ``status``, ``digest``, ``length``, ``offset``, ``filename``.

The crawl only sends GET requests, so cdxj-indexer's ``post_append`` (a POST body in the
key) has nothing to do here and is not reproduced.

Reading the index back is here too (``read_index``): replay checks it before pywb sees it,
re-extraction looks captures up in it and ``verify`` checks every line against the WARCs;
each decides for itself what a bad line means (an error, a skip, a failure to report).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import surt
from warcio.timeutils import iso_date_to_timestamp

from archive.fastread import scan_member, scan_records
from archive.reader import StoredRecord

# cdxj-indexer's DEFAULT_RECORDS; warc-fields metadata/resource records are left out too.
INDEXED_RECORDS = ("response", "revisit", "resource", "metadata")
_MIME_END = re.compile(r"[;\s]")


def url_key(url: str) -> str:
    """The SURT form pywb looks a URL up by (cdxj-indexer falls back to the URL the same way)."""
    try:
        return surt.surt(url)
    except Exception:  # noqa: BLE001 - surt raises anything on odd URLs; so does cdxj-indexer
        return url


def _mime(record: StoredRecord) -> str | None:
    if record.rec_type == "revisit":
        return "warc/revisit"
    if record.rec_type in ("response", "request"):
        value = record.http_headers.get_header("Content-Type") if record.http_headers else None
    else:
        value = record.rec_headers.get_header("Content-Type")
    if value:
        value = _MIME_END.split(value, 1)[0].strip()
    return value


def _indexed(record: StoredRecord) -> bool:
    if record.rec_type not in INDEXED_RECORDS:
        return False
    return not (
        record.rec_type in ("resource", "metadata")
        and record.rec_headers.get_header("Content-Type") == "application/warc-fields"
    )


def cdxj_line(record: StoredRecord, filename: str) -> str:
    """One index line, key order and formatting as cdxj-indexer's (json.dumps defaults)."""
    url = record.rec_headers.get_header("WARC-Target-URI")
    fields: dict[str, str] = {}
    if url is not None:
        fields["url"] = url
    mime = _mime(record)
    if mime is not None:
        fields["mime"] = mime
    if record.rec_type in ("response", "revisit") and record.http_headers:
        fields["status"] = record.http_headers.get_statuscode()
    digest = record.rec_headers.get_header("WARC-Payload-Digest")
    if digest is not None:
        fields["digest"] = digest
    fields["length"] = str(record.length)
    fields["offset"] = str(record.offset)
    fields["filename"] = filename
    timestamp = iso_date_to_timestamp(record.rec_headers.get_header("WARC-Date"))
    return f"{url_key(url or '')} {timestamp} {json.dumps(fields)}\n"


def file_lines(path: Path, filename: str | None = None) -> Iterator[str]:
    """The index lines of one WARC file, in file order."""
    name = filename if filename is not None else path.name
    for record in scan_records(path):
        if _indexed(record):
            yield cdxj_line(record, name)


def member_lines(plain: bytes, offset: int, length: int, filename: str) -> list[str]:
    """The index line (if any) of one record from its uncompressed bytes, as a rebuild
    reading the member at (offset, length) of ``filename`` would make it."""
    record = scan_member(plain, offset, length, f"{filename}:{offset}")
    return [cdxj_line(record, filename)] if _indexed(record) else []


def sorted_lines(paths: Iterable[tuple[Path, str]]) -> list[str]:
    """Every line of every file, sorted, exact duplicates once (as cdxj-indexer's sort)."""
    lines = sorted(line for path, name in paths for line in file_lines(path, name))
    return [line for n, line in enumerate(lines) if n == 0 or line != lines[n - 1]]


# --------------------------------------------------------------------------- reading


class CdxjError(ValueError):
    """A line that is not ``urlkey timestamp {json}`` (or lacks what a reader needs)."""


@dataclass(frozen=True, slots=True)
class CdxjLine:
    urlkey: str
    timestamp: str
    fields: dict[str, Any]

    def location(self) -> tuple[str, int, int]:
        """(filename, offset, length) of the record the line points at, or CdxjError."""
        try:
            return (str(self.fields["filename"]), int(self.fields["offset"]),
                    int(self.fields["length"]))
        except (KeyError, TypeError, ValueError):
            raise CdxjError("missing or invalid filename/offset/length") from None


def parse_line(line: str) -> CdxjLine:
    """One index line (without its newline), or CdxjError saying what is wrong with it."""
    parts = line.strip().split(" ", 2)
    if len(parts) != 3:
        raise CdxjError(f"not a CDXJ line (urlkey timestamp {{json}}): {line[:120]!r}")
    try:
        fields = json.loads(parts[2])
    except json.JSONDecodeError as exc:
        raise CdxjError(f"bad JSON block: {exc}") from None
    if not isinstance(fields, dict):
        raise CdxjError("bad JSON block: not an object")
    return CdxjLine(parts[0], parts[1], fields)


def read_index(
    path: Path, *, errors: str = "strict"
) -> Iterator[tuple[int, str, CdxjLine | CdxjError | None]]:
    """(line number, line, its parse) for every line of an index file, in file order.

    The parse is None for a blank line or a ``!`` header line (neither points anywhere) and
    the CdxjError for a line that does not parse, so that each reader chooses what to do.
    ``errors``: how undecodable bytes are read (``verify`` reads them as replacement
    characters to report the line; everyone else refuses the file).
    """
    with open(path, encoding="utf-8", errors=errors) as fh:
        for lineno, raw in enumerate(fh, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("!"):
                yield lineno, line, None
                continue
            try:
                yield lineno, line, parse_line(line)
            except CdxjError as exc:
                yield lineno, line, exc
