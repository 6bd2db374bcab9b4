"""The captures an archive holds, found by URL and time, and revisits resolved to their payload.

Re-extraction, ``scrapy warcshell`` and anything else reading an archive offline need the
same three things: every response and revisit record with where it is (from ``index.cdxj``,
or a scan of the WARCs when there is none), the one nearest a time for a URL, and a revisit
read back with the payload of the record it stands for. None of that is about Scrapy or the
site, so it lives here; which URLs are the same page is the site's, and is passed in.

Timestamps are the index's (warcio's ``iso_date_to_timestamp``), so a scan and the index
agree on every capture's 14 digits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Self

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import PAD_14_DOWN, iso_date_to_timestamp, pad_timestamp

from archive.cdxj import CdxjError, CdxjLine, read_index
from archive.fastread import parse_member, read_record_at, scan_records
from archive.layout import ArchiveLayout
from archive.loaded import Loaded
from archive.members import iter_gzip_members
from archive.reader import ArchiveReadError, StoredRecord
from archive.records import payload_digest

logger = logging.getLogger(__name__)

MAX_REVISIT_CHAIN = 5
_UNDATED = "0" * 14


class CaptureNotFound(LookupError):
    pass


def timestamp14(warc_date: str | None) -> str:
    """A WARC-Date as the index's 14-digit timestamp; a date warcio cannot read sorts first."""
    try:
        return iso_date_to_timestamp(warc_date)
    except (TypeError, ValueError, AttributeError):
        return _UNDATED


def parse_timestamp(value: str) -> str:
    """``YYYY[MM[DD[hh[mm[ss]]]]]`` (``-``, ``:``, ``T``, ``Z``, spaces allowed) as 14 digits.

    Missing parts are padded like wayback does (``2026`` is ``20260101000000``).
    """
    digits = value
    for sep in "-:TZ ":
        digits = digits.replace(sep, "")
    if not digits.isdigit() or not 4 <= len(digits) <= 14:
        raise ValueError(f"not a timestamp (YYYYMMDDhhmmss): {value!r}")
    padded = pad_timestamp(digits, PAD_14_DOWN)
    datetime.strptime(padded, "%Y%m%d%H%M%S")  # raises ValueError on 20261399...
    return padded


def nearest(captures: Sequence[IndexedCapture], timestamp: str | None) -> IndexedCapture:
    """The latest of ``captures`` (oldest first), or the one nearest ``timestamp``."""
    if timestamp is None:
        return captures[-1]
    target = datetime.strptime(timestamp, "%Y%m%d%H%M%S")

    def distance(c: IndexedCapture) -> float:
        return abs((datetime.strptime(c.timestamp, "%Y%m%d%H%M%S") - target).total_seconds())

    return min(reversed(captures), key=distance)


def _first_values(headers: StatusAndHeaders) -> dict[str, str]:
    """Header values by lower-case name, the first of each as ``get_header`` gives it.

    One pass instead of a scan of the list for each of the dozen headers the scan reads.
    """
    return {name.lower(): value for name, value in reversed(headers.headers)}


def _norm_digest(digest: str | None) -> str | None:
    if not digest:
        return None
    return digest.split(":", 1)[-1].upper()


@dataclass(frozen=True, slots=True)
class IndexedCapture:
    """One response or revisit record, as the index or a scan of the WARCs describes it.

    Not ``crawler.state.store.Capture`` (a URL's latest 200 in the state database): this is any
    record the archive holds, with where it is.
    """

    url: str
    timestamp: str  # 14 digits
    status: int | None
    mime: str | None  # content type ("warc/revisit" for revisits in the index)
    revisit: bool
    filename: str
    offset: int
    length: int
    order: tuple[int, int]  # (WARC file position oldest first, offset): archive order
    digest: str | None = None
    run: str | None = None  # the crawl run that wrote the record (``warc_run``)
    # Known only from a scan (the index does not carry them).
    date: str | None = None
    record_id: str | None = None
    refers_to: str | None = None
    content_encoding: str | None = None

    @property
    def sort_key(self) -> tuple[str, str, tuple[int, int]]:
        return (self.timestamp, self.date or "", self.order)


def warcinfo_field(block: bytes, name: str) -> str | None:
    """One field of a warcinfo record's ``application/warc-fields`` block (e.g. isPartOf)."""
    for line in block.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == name:
            return value.strip() or None
    return None


def warc_run(path: Path) -> str:
    """The run a WARC file belongs to: its opening warcinfo's isPartOf (the file's name
    when it has none, or cannot be read), as a scan of its records finds it."""
    try:
        with open(path, "rb") as fh:
            member = next(iter_gzip_members(fh, 64 * 1024), None)
        if member is not None and member.data is not None:
            record = parse_member(member.data, 0, member.length, f"{path}:0")
            if record.rec_type == "warcinfo":
                return warcinfo_field(record.payload, "isPartOf") or path.name
    except (OSError, ArchiveReadError):
        pass
    return path.name


class CaptureIndex:
    """The captures of one ``ARCHIVE_DIR``, from its CDXJ index or from a scan of its WARCs."""

    def __init__(self, archive_dir: Path | str) -> None:
        self.layout = ArchiveLayout(Path(archive_dir))
        self.warc_dir = self.layout.warc_dir
        self.captures: list[IndexedCapture] = []
        self.by_url: dict[str, list[IndexedCapture]] = {}
        self.by_id: dict[str, IndexedCapture] = {}
        self.source = ""
        self._scanned = False

    # -- sources ---------------------------------------------------------------------------

    def warc_paths(self) -> list[Path]:
        return self.layout.finished_warcs()

    def _file_order(self) -> dict[str, int]:
        return {p.name: i for i, p in enumerate(self.warc_paths())}

    def _add(self, capture: IndexedCapture) -> None:
        self.captures.append(capture)
        self.by_url.setdefault(capture.url, []).append(capture)
        if capture.record_id:
            self.by_id[capture.record_id] = capture

    def load_index(self) -> Self:
        """Read ``index.cdxj`` (responses and revisits; pywb's own format)."""
        order = self._file_order()
        runs = {path.name: warc_run(path) for path in self.warc_paths()}
        for _lineno, _line, entry in read_index(self.layout.index_path):
            if not isinstance(entry, CdxjLine):
                continue
            try:
                filename, offset, length = entry.location()
            except CdxjError:
                continue
            data = entry.fields
            status = data.get("status")
            self._add(
                IndexedCapture(
                    url=data.get("url", ""),
                    timestamp=entry.timestamp,
                    status=int(status) if status and status.isdigit() else None,
                    mime=data.get("mime"),
                    revisit=data.get("mime") == "warc/revisit",
                    filename=filename,
                    offset=offset,
                    length=length,
                    order=(order.get(Path(filename).name, -1), offset),
                    digest=_norm_digest(data.get("digest")),
                    run=runs.get(Path(filename).name),
                )
            )
        self.source = "index"
        return self

    def scan(self) -> Self:
        """Read every record of every WARC, oldest file first (no index needed)."""
        self.captures.clear()
        self.by_url.clear()
        self.by_id.clear()
        for position, path in enumerate(self.warc_paths()):
            run = path.name
            for record in scan_records(path):
                if record.rec_type == "warcinfo":
                    run = warcinfo_field(record.payload, "isPartOf") or run
                if record.rec_type not in ("response", "revisit"):
                    continue
                http = record.http_headers
                status = http.get_statuscode() if http is not None else None
                warc = _first_values(record.rec_headers)
                fields = _first_values(http) if http is not None else {}
                date = warc.get("warc-date")
                self._add(
                    IndexedCapture(
                        url=warc.get("warc-target-uri") or "",
                        timestamp=timestamp14(date or ""),
                        status=int(status) if status and status.isdigit() else None,
                        mime=fields.get("content-type"),
                        revisit=record.rec_type == "revisit",
                        filename=path.name,
                        offset=record.offset,
                        length=record.length,
                        order=(position, record.offset),
                        digest=_norm_digest(warc.get("warc-payload-digest")),
                        date=date,
                        record_id=warc.get("warc-record-id"),
                        refers_to=warc.get("warc-refers-to"),
                        content_encoding=fields.get("content-encoding"),
                        run=run,
                    )
                )
        self.source = "scan"
        self._scanned = True
        return self

    @classmethod
    def open(cls, archive_dir: Path | str) -> Self:
        """From the index when there is one, else from a scan."""
        archive = cls(archive_dir)
        if archive.layout.index_path.is_file():
            return archive.load_index()
        logger.warning("No %s: scanning the WARC files instead", archive.layout.index_path)
        return archive.scan()

    # -- finding captures ------------------------------------------------------------------

    def captures_of_forms(
        self, forms: Sequence[str], canonical: Callable[[str], str] | None = None
    ) -> list[IndexedCapture]:
        """Every capture under any of ``forms`` (the preferred form first), oldest first.

        ``canonical``: the site's URL canonicalisation; when no form is indexed as such, the
        index may hold the URL with another host case or a default port, found through it.
        Which forms a URL has is the site's business (``crawler.archived.responses.url_forms``).
        """
        found: list[IndexedCapture] = []
        wanted = set(forms)
        for form in forms:
            found.extend(self.by_url.get(form, []))
        if not found and canonical is not None:
            for key, caps in self.by_url.items():
                try:
                    if canonical(key) in wanted:
                        found.extend(caps)
                except ValueError:
                    continue
        rank = {form: i for i, form in enumerate(forms)}
        # Oldest first; at the same instant the preferred form sorts last (it wins "latest").
        return sorted(set(found), key=lambda c: (c.sort_key, -rank.get(c.url, len(forms))))


    # -- reading records -------------------------------------------------------------------

    def path_of(self, capture: IndexedCapture) -> Path:
        return self.warc_dir / capture.filename

    def read(self, capture: IndexedCapture) -> StoredRecord:
        return read_record_at(self.path_of(capture), capture.offset, capture.length)

    def load(self, capture: IndexedCapture) -> Loaded:
        """The record with its payload; a revisit's payload comes from its original."""
        record = self.read(capture)
        if record.rec_type != "revisit":
            return Loaded(capture, record, record.payload, None)
        original = record
        for _ in range(MAX_REVISIT_CHAIN):
            original = self._original_of(original)
            if original.rec_type != "revisit":
                break
        else:
            raise ArchiveReadError(f"revisit chain too long from {capture.url}")
        wanted = _norm_digest(record.rec_headers.get_header("WARC-Payload-Digest"))
        got = _norm_digest(payload_digest(original.payload))
        if wanted and got != wanted:
            raise ArchiveReadError(
                f"revisit {record.record_id} names payload {wanted}, its original "
                f"{original.record_id} holds {got}"
            )
        return Loaded(capture, record, original.payload, original)

    def _original_of(self, revisit: StoredRecord) -> StoredRecord:
        headers = revisit.rec_headers
        refers_to = headers.get_header("WARC-Refers-To")
        uri = headers.get_header("WARC-Refers-To-Target-URI") or revisit.target_uri or ""
        date = headers.get_header("WARC-Refers-To-Date")
        digest = _norm_digest(headers.get_header("WARC-Payload-Digest"))
        if refers_to and refers_to in self.by_id:
            return self.read(self.by_id[refers_to])
        # Candidates by (URI, digest); the one captured at WARC-Refers-To-Date first.
        candidates = [
            c for c in self.by_url.get(uri, [])
            if not c.revisit and (digest is None or c.digest is None or c.digest == digest)
        ]
        ts = timestamp14(date) if date else None
        candidates.sort(key=lambda c: (c.timestamp != ts, c.sort_key))
        for candidate in candidates:
            record = self.read(candidate)
            if refers_to is None or record.record_id == refers_to:
                return record
        if refers_to and not self._scanned:
            # The index has no record ids: look the original up by scanning the WARCs.
            self.scan()
            if refers_to in self.by_id:
                return self.read(self.by_id[refers_to])
        raise ArchiveReadError(
            f"revisit {revisit.record_id} of {revisit.target_uri}: original "
            f"{refers_to or uri + ' ' + (date or '')} is not in the archive"
        )

    def request_record(
        self, capture: IndexedCapture, response_id: str | None
    ) -> StoredRecord | None:
        """The request record written right after a response/revisit (its pair), if any."""
        path = self.path_of(capture)
        start = capture.offset + capture.length
        try:
            with open(path, "rb") as fh:
                member = next(iter_gzip_members(fh, 64 * 1024, start=start), None)
        except OSError:
            return None
        if member is None or member.data is None:
            return None
        try:
            record = parse_member(member.data, start, member.length, f"{path}:{start}")
        except ArchiveReadError:
            return None
        if record.rec_type != "request":
            return None
        if response_id and record.rec_headers.get_header("WARC-Concurrent-To") != response_id:
            return None
        return record
