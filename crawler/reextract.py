"""Offline access to an archive's captures, and re-extraction of items from the WARCs alone.

Two commands use this module: ``scrapy warcshell`` (one capture as the Scrapy response the
spider's callback saw) and ``scrapy reextract`` (every article and section item rebuilt with
the spider's own extraction). Nothing here opens a socket: records are read from
``ARCHIVE_DIR/warc`` by offset, located through ``index.cdxj`` or a scan of the WARCs.

Responses are rebuilt as the callback saw them: the stored (possibly gzip-encoded) payload
goes through Scrapy's own ``HttpCompressionMiddleware``; a revisit keeps its own status line
and headers and takes the payload of the record it refers to.
"""

from __future__ import annotations

import io
import ipaddress
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, BinaryIO, NamedTuple
from urllib.parse import urlsplit, urlunsplit

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes
from scrapy.settings import Settings
from scrapy.utils.gz import gunzip
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from archive.cdxj import CdxjError, CdxjLine, read_index
from archive.fastread import read_record_at, scan_records
from archive.layout import ArchiveLayout
from archive.members import iter_gzip_members
from archive.reader import ArchiveReadError, StoredRecord
from archive.records import payload_digest
from crawler.dedup.maintenance import classify_maintenance
from crawler.extract import ParsedPage, extract_article_page, extract_section_page, parse_html
from crawler.items import ArticleItem, SectionItem, article_item, section_item
from crawler.middlewares import NoSniffingOfCompressedBodies
from crawler.profile import SZNEWS, PageKind, SiteProfile

logger = logging.getLogger(__name__)

WARC_LOCATION = "warc_location"  # the request.meta key the spider reads its pointer from
# Article items that carry a cross-run version number (set by a pipeline in the crawl).
_HAS_VERSION = "version" in {f.name for f in fields(ArticleItem)}
_MAX_REVISIT_CHAIN = 5


_NON_DIGITS = re.compile("[^0-9]")


class CaptureNotFound(LookupError):
    pass


# --------------------------------------------------------------------------- captures


def timestamp14(warc_date: str) -> str:
    """``2026-11-28T12:00:03.123456Z`` as the CDXJ timestamp ``20261128120003``."""
    if warc_date.isascii():  # the usual case, without a Python loop over its characters
        digits = _NON_DIGITS.sub("", warc_date)
    else:  # str.isdigit's other digits (Arabic-Indic, superscripts...) count too
        digits = "".join(c for c in warc_date if c.isdigit())
    return digits[:14].ljust(14, "0")


def fetched_from(warc_date: str) -> str:
    """A WARC-Date as the items' ``fetched`` (UTC, whole seconds)."""
    ts = timestamp14(warc_date)
    return f"{ts[0:4]}-{ts[4:6]}-{ts[6:8]}T{ts[8:10]}:{ts[10:12]}:{ts[12:14]}Z"


def parse_timestamp(value: str) -> str:
    """``YYYY[MM[DD[hh[mm[ss]]]]]`` (``-``, ``:``, ``T``, ``Z``, spaces allowed) as 14 digits.

    Missing parts are padded like wayback does (``2026`` is ``20260101000000``).
    """
    digits = value
    for sep in "-:TZ ":
        digits = digits.replace(sep, "")
    if not digits.isdigit() or not 4 <= len(digits) <= 14:
        raise ValueError(f"not a timestamp (YYYYMMDDhhmmss): {value!r}")
    padded = digits + "0101000000"[len(digits) - 4 :]
    datetime.strptime(padded, "%Y%m%d%H%M%S")  # raises ValueError on 20261399...
    return padded


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
class Capture:
    """One response or revisit record, as the index or a scan of the WARCs describes it."""

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
    # Known only from a scan (the index does not carry them).
    date: str | None = None
    record_id: str | None = None
    refers_to: str | None = None
    content_encoding: str | None = None
    run: str | None = None  # the crawl run (warcinfo isPartOf) that wrote the record

    @property
    def sort_key(self) -> tuple[str, str, tuple[int, int]]:
        return (self.timestamp, self.date or "", self.order)


def _warcinfo_field(block: bytes, name: str) -> str | None:
    for line in block.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == name:
            return value.strip() or None
    return None


def _content_type_is_html(content_type: str | None) -> bool:
    if not content_type:
        return True  # undeclared: the spider parses it as HTML all the same
    value = content_type.split(";", 1)[0].strip().lower()
    return value in ("text/html", "application/xhtml+xml")


def url_forms(url: str, profile: SiteProfile = SZNEWS) -> list[str]:
    """Every URL the site answers for the same resource as ``url``, canonical first.

    Host case, default port and fragment never matter; ``dir/`` is ``dir/index.shtml``; an
    article's ``_01`` is its page 1 (and page 1 is also looked up as ``_01``).
    """
    if "://" not in url:
        url = "http://" + url.lstrip("/")
    canonical = profile.canonical_url(url)
    forms = [canonical]
    parts = urlsplit(canonical)
    path = parts.path
    m = profile.article_re.match(path)
    if m and not m.group("page"):
        forms.append(urlunsplit(parts._replace(path=f"{m.group('base')}_01.shtml")))
    if path.endswith("/index.shtml") and path.startswith(profile.root_dir):
        forms.append(urlunsplit(parts._replace(path=path.removesuffix("index.shtml"))))
    bare = urlsplit(url)._replace(fragment="").geturl()
    forms.append(bare)
    return list(dict.fromkeys(forms))


class Archive:
    """The captures of one ``ARCHIVE_DIR``, from its CDXJ index or from a scan of its WARCs."""

    def __init__(self, archive_dir: Path | str) -> None:
        self.layout = ArchiveLayout(Path(archive_dir))
        self.warc_dir = self.layout.warc_dir
        self.captures: list[Capture] = []
        self.by_url: dict[str, list[Capture]] = {}
        self.by_id: dict[str, Capture] = {}
        self.source = ""
        self._scanned = False

    # -- sources ---------------------------------------------------------------------------

    def warc_paths(self) -> list[Path]:
        """Finished WARC files, oldest first (their names start with the creation time)."""
        return self.layout.finished_warcs()

    def _file_order(self) -> dict[str, int]:
        return {p.name: i for i, p in enumerate(self.warc_paths())}

    def _add(self, capture: Capture) -> None:
        self.captures.append(capture)
        self.by_url.setdefault(capture.url, []).append(capture)
        if capture.record_id:
            self.by_id[capture.record_id] = capture

    def load_index(self) -> Archive:
        """Read ``index.cdxj`` (responses and revisits; pywb's own format)."""
        order = self._file_order()
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
                Capture(
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
                )
            )
        self.source = "index"
        return self

    def scan(self) -> Archive:
        """Read every record of every WARC, oldest file first (no index needed)."""
        self.captures.clear()
        self.by_url.clear()
        self.by_id.clear()
        for position, path in enumerate(self.warc_paths()):
            run = path.name
            for record in scan_records(path):
                if record.rec_type == "warcinfo":
                    run = _warcinfo_field(record.payload, "isPartOf") or run
                if record.rec_type not in ("response", "revisit"):
                    continue
                http = record.http_headers
                status = http.get_statuscode() if http is not None else None
                warc = _first_values(record.rec_headers)
                fields = _first_values(http) if http is not None else {}
                date = warc.get("warc-date")
                self._add(
                    Capture(
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
    def open(cls, archive_dir: Path | str) -> Archive:
        """From the index when there is one, else from a scan."""
        archive = cls(archive_dir)
        if archive.layout.index_path.is_file():
            return archive.load_index()
        logger.warning("No %s: scanning the WARC files instead", archive.layout.index_path)
        return archive.scan()

    # -- finding captures ------------------------------------------------------------------

    def captures_of(self, url: str, profile: SiteProfile = SZNEWS) -> list[Capture]:
        """Every capture of ``url`` under any of its forms, oldest first."""
        found: list[Capture] = []
        forms = url_forms(url, profile)
        wanted = set(forms)
        for form in forms:
            found.extend(self.by_url.get(form, []))
        # The index may hold the URL with another host case or a default port.
        if not found:
            for key, caps in self.by_url.items():
                try:
                    if profile.canonical_url(key) in wanted:
                        found.extend(caps)
                except ValueError:
                    continue
        rank = {form: i for i, form in enumerate(forms)}
        # Oldest first; at the same instant the canonical form sorts last (it wins "latest").
        return sorted(set(found), key=lambda c: (c.sort_key, -rank.get(c.url, len(forms))))

    def find(
        self, url: str, timestamp: str | None = None, profile: SiteProfile = SZNEWS
    ) -> Capture:
        """The latest capture of ``url``, or the one nearest ``timestamp`` (14 digits)."""
        captures = self.captures_of(url, profile)
        if not captures:
            raise CaptureNotFound(f"{url} is not in the archive {self.layout.root}")
        if timestamp is None:
            return captures[-1]
        target = datetime.strptime(timestamp, "%Y%m%d%H%M%S")

        def distance(c: Capture) -> float:
            return abs((datetime.strptime(c.timestamp, "%Y%m%d%H%M%S") - target).total_seconds())

        return min(reversed(captures), key=distance)

    # -- reading records -------------------------------------------------------------------

    def path_of(self, capture: Capture) -> Path:
        return self.warc_dir / capture.filename

    def read(self, capture: Capture) -> StoredRecord:
        return read_record_at(self.path_of(capture), capture.offset, capture.length)

    def load(self, capture: Capture) -> Loaded:
        """The record with its payload; a revisit's payload comes from its original."""
        record = self.read(capture)
        if record.rec_type != "revisit":
            return Loaded(capture, record, record.payload, None)
        original = record
        for _ in range(_MAX_REVISIT_CHAIN):
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

    def request_record(self, capture: Capture, response_id: str | None) -> StoredRecord | None:
        """The request record written right after a response/revisit (its pair), if any."""
        path = self.path_of(capture)
        try:
            with open(path, "rb") as fh:
                start = capture.offset + capture.length
                member = next(iter_gzip_members(fh, 64 * 1024, start=start), None)
        except OSError:
            return None
        if member is None or member.data is None:
            return None
        try:
            record = next(iter(ArchiveIterator(io.BytesIO(member.data))))
        except StopIteration:
            return None
        if record.rec_type != "request":
            return None
        if response_id and record.rec_headers.get_header("WARC-Concurrent-To") != response_id:
            return None
        return StoredRecord(
            offset=capture.offset + capture.length,
            length=member.length,
            rec_type=record.rec_type,
            rec_headers=record.rec_headers,
            http_headers=record.http_headers,
            payload=record.raw_stream.read(),
        )


@dataclass
class Loaded:
    """A capture read back: its own record and the payload it stands for."""

    capture: Capture
    record: StoredRecord  # the response or revisit record itself
    payload: bytes  # as stored (still content-encoded); a revisit's comes from its original
    original: StoredRecord | None  # the record a revisit refers to

    @property
    def url(self) -> str:
        return self.record.target_uri or self.capture.url

    @property
    def date(self) -> str:
        return self.record.rec_headers.get_header("WARC-Date") or ""

    @property
    def status(self) -> int:
        http = self.record.http_headers
        code = http.get_statuscode() if http is not None else None
        return int(code) if code and code.isdigit() else 200

    @property
    def protocol(self) -> str | None:
        http = self.record.http_headers
        return http.protocol if http is not None and http.protocol else None

    @property
    def not_modified(self) -> bool:
        """A ``server-not-modified`` revisit: a 304 whose headers do not describe the payload."""
        profile = self.record.rec_headers.get_header("WARC-Profile") or ""
        return self.original is not None and profile.endswith("/server-not-modified")

    def _headers(self) -> list[tuple[str, str]]:
        own = list(self.record.http_headers.headers) if self.record.http_headers else []
        if not self.not_modified or self.original is None or not self.original.http_headers:
            return own
        # As a cache applies a 304: the stored response's headers, updated by the 304's.
        updated = {name.lower() for name, _ in own}
        kept = [(n, v) for n, v in self.original.http_headers.headers if n.lower() not in updated]
        return kept + own

    def header_list(self) -> list[tuple[bytes, bytes]]:
        return [(_header_bytes(k), _header_bytes(v)) for k, v in self._headers()]

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for n, v in self._headers() if n.lower() == wanted), None)

    @property
    def pointer(self) -> dict[str, Any]:
        """What an item's ``warc`` names: this record (the revisit itself, not its original)."""
        return {
            "filename": self.capture.filename,
            "offset": self.capture.offset,
            "length": self.capture.length,
            "record_id": self.record.record_id,
        }


def _header_bytes(value: str) -> bytes:
    """Undo warcio's header decoding (UTF-8 when valid, else Latin-1)."""
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    return value.encode("utf-8")


# --------------------------------------------------------------------------- responses


def compression_middleware(settings: Settings | None = None, crawler: Any = None) -> Any:
    """Scrapy's HttpCompressionMiddleware, as the crawl runs it (DOWNLOAD_MAXSIZE and all)."""
    if crawler is not None:
        return HttpCompressionMiddleware.from_crawler(crawler)
    settings = settings if settings is not None else Settings()
    stub = SimpleNamespace(
        stats=None,
        settings=settings,
        signals=SimpleNamespace(connect=lambda *a, **kw: None),
    )
    return HttpCompressionMiddleware(crawler=stub)


def build_response(
    loaded: Loaded, request: Request | None = None, *, decompress: Any = None
) -> Response:
    """The response as the spider's callback saw it: decoded like HttpCompressionMiddleware.

    ``decompress``: a HttpCompressionMiddleware (``compression_middleware()`` by default).
    Raises IgnoreRequest where the crawl would have dropped the response (too large).
    """
    url = loaded.url
    headers = Headers()
    for name, value in loaded.header_list():
        headers.appendlist(name, value)
    request = request or Request(url)
    ip = loaded.record.rec_headers.get_header("WARC-IP-Address")
    try:
        ip_address = ipaddress.ip_address(ip) if ip else None
    except ValueError:
        ip_address = None
    cls = responsetypes.from_args(headers=headers, url=url, body=loaded.payload)
    raw = cls(
        url=url,
        status=loaded.status,
        headers=headers,
        body=loaded.payload,
        request=request,
        ip_address=ip_address,
        protocol=loaded.protocol,
    )
    middleware = decompress or compression_middleware()
    raw = NoSniffingOfCompressedBodies().process_response(request, raw)
    return middleware.process_response(request, raw)


def parse_response(response: Response) -> ParsedPage:
    """Exactly the spider's ``_parse``: the decoded body with the HTTP Content-Type."""
    content_type = response.headers.get(b"Content-Type")
    return parse_html(
        response.body, response.url, content_type.decode("latin-1") if content_type else None
    )


class PageSource(NamedTuple):
    """A response as ``parse_response`` reads it: URL, decoded body, HTTP Content-Type."""

    url: str
    body: bytes
    content_type: str | None


def parse_source(source: Response | PageSource) -> ParsedPage:
    """``parse_response`` for a response or the parts of one it reads."""
    if isinstance(source, PageSource):
        return parse_html(source.body, source.url, source.content_type)
    return parse_response(source)


def is_maintenance(loaded: Loaded) -> bool:
    content_encoding = loaded.header("Content-Encoding")
    return classify_maintenance(
        loaded.payload,
        loaded.url,
        loaded.header("Content-Type"),
        content_encoding.encode("latin-1") if content_encoding else None,
    )


# --------------------------------------------------------------------------- re-extraction


@dataclass
class ReextractStats:
    warc_files: int = 0
    captures: int = 0
    articles: int = 0
    multipage: int = 0
    incomplete: int = 0
    sections: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def summary(self) -> str:
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items())) or "none"
        return (
            f"{self.articles} articles ({self.multipage} multi-page, {self.incomplete} "
            f"incomplete), {self.sections} sections from {self.captures} captures in "
            f"{self.warc_files} WARC files; skipped: {skipped}"
        )


class Reextractor:
    """Items from the WARCs alone, through the spider's extraction and item construction.

    For each URL the latest 200 capture counts (revisits resolved to their originals). Section
    items come from list page 1 of each section; an article is assembled from its page 1
    along the pagers, page after page, as the spider's ArticleAssembly does.
    """

    def __init__(
        self,
        archive: Archive,
        profile: SiteProfile = SZNEWS,
        settings: Settings | None = None,
        host: str | None = None,
    ) -> None:
        self.archive = archive
        self.profile = profile
        self.host = (host or profile.host).lower()
        self.decompress = compression_middleware(settings)
        self.stats = ReextractStats(warc_files=len(archive.warc_paths()))
        self._latest_ok: dict[str, Capture] = {}
        self._latest_any: dict[str, Capture] = {}
        self._ok: dict[str, list[Capture]] = {}  # every 200 capture of a URL, oldest first
        for capture in sorted(archive.captures, key=lambda c: c.sort_key):
            self._latest_any[capture.url] = capture
            if capture.status == 200:
                self._latest_ok[capture.url] = capture
                self._ok.setdefault(capture.url, []).append(capture)
        self.stats.captures = len(archive.captures)

    @classmethod
    def scan(
        cls,
        archive_dir: Path | str,
        *,
        settings: Settings | None = None,
        profile: SiteProfile = SZNEWS,
        host: str | None = None,
    ) -> Reextractor:
        """The archive's WARCs scanned (no index): raises OSError/ArchiveReadError here."""
        return cls(Archive(archive_dir).scan(), profile, settings, host)

    def _own(self, url: str) -> bool:
        return (urlsplit(url).hostname or "").lower() == self.host

    def _response(self, capture: Capture) -> tuple[Loaded, Response | PageSource] | None:
        """The callback's response for a 200 HTML capture, or None (with a skip reason)."""
        if capture.mime != "warc/revisit" and not _content_type_is_html(capture.mime):
            self.stats.skip("not html")
            return None
        try:
            loaded = self.archive.load(capture)
        except (OSError, ArchiveReadError) as exc:
            logger.warning("Cannot read %s: %s", capture.url, exc)
            self.stats.skip("unreadable")
            return None
        if not _content_type_is_html(loaded.header("Content-Type")):
            self.stats.skip("not html")
            return None
        if is_maintenance(loaded):
            self.stats.skip("maintenance")
            return None
        try:
            response = self._page_source(loaded)
        except IgnoreRequest as exc:
            logger.warning("Dropped %s as the crawl would: %s", capture.url, exc)
            self.stats.skip("too large")
            return None
        except Exception as exc:  # undecodable content encoding: the crawl fails there too
            logger.warning("Cannot decode %s: %s", capture.url, exc)
            self.stats.skip("undecodable")
            return None
        return loaded, response

    def _page_source(self, loaded: Loaded) -> Response | PageSource:
        """What ``build_response`` would give the callback, as far as ``parse`` reads it.

        Plain and gzip-encoded payloads (all the crawl stores) are decoded here as
        HttpCompressionMiddleware decodes them, without the three Headers objects and two
        Responses build_response makes (a tenth of the CPU of a re-extraction); anything
        else, and anything that would fail or warn, goes through build_response itself.
        """
        url = loaded.url
        request = Request(url)  # a URL the crawl could not request fails here as it does there
        encodings: list[bytes] = []
        content_type: bytes | None = None
        for name, value in loaded.header_list():
            key = name.lower()  # Headers compares names by .title(): the same for ASCII
            if key == b"content-encoding":
                encodings.append(value)
            elif key == b"content-type":
                content_type = value  # Headers.get gives the last one
        body = loaded.payload
        if encodings:
            max_size = getattr(self.decompress, "_max_size", None)
            warn_size = getattr(self.decompress, "_warn_size", None)
            if (
                len(encodings) > 1
                or encodings[0].strip().lower() not in (b"gzip", b"x-gzip")
                or not isinstance(max_size, int)
                or not isinstance(warn_size, int)
            ):
                return build_response(loaded, request, decompress=self.decompress)
            try:
                body = gunzip(body, max_size=max_size)
            except Exception:  # too large or broken: let the middleware raise its own error
                return build_response(loaded, request, decompress=self.decompress)
            if len(loaded.payload) < warn_size <= len(body):  # the middleware's warning
                return build_response(loaded, request, decompress=self.decompress)
        return PageSource(url, body, content_type.decode("latin-1") if content_type else None)

    def _page_one_captures(self) -> tuple[dict[str, Capture], dict[str, Capture]]:
        """Latest 200 capture of each article page 1 and each section list page 1, by key."""
        articles: dict[str, Capture] = {}
        sections: dict[str, Capture] = {}
        for url, capture in self._latest_ok.items():
            if not self._own(url):
                self.stats.skip("other host")
                continue
            kind = self.profile.kind_of(url)
            if kind is PageKind.ARTICLE and self.profile.article_page_number(url) == 1:
                key, target = self.profile.article_first_page(url), articles
            elif kind is PageKind.SECTION and self.profile.list_page_number(url) == 1:
                key, target = self.profile.section_url(url), sections
            else:
                continue
            # Several forms of one URL (``_01``, ``dir/``): the latest wins, canonical on a tie.
            held = target.get(key)
            if held is None or (capture.sort_key, url == key) > (held.sort_key, held.url == key):
                target[key] = capture
        return articles, sections

    def items(self) -> Iterator[ArticleItem | SectionItem]:
        """Every item, in the archive order of its page 1."""
        articles, sections = self._page_one_captures()
        work = [(c, "section") for c in sections.values()]
        work += [(c, "article") for c in articles.values()]
        for capture, kind in sorted(work, key=lambda w: w[0].sort_key):
            item = self.section(capture) if kind == "section" else self.article(capture)
            if item is not None:
                yield item

    def section(self, capture: Capture) -> SectionItem | None:
        got = self._response(capture)
        if got is None:
            return None
        loaded, response = got
        section = extract_section_page(parse_source(response), self.profile)
        self.stats.sections += 1
        return section_item(section, fetched_from(loaded.date), loaded.pointer)

    def article(self, capture: Capture) -> ArticleItem | None:
        got = self._response(capture)
        if got is None:
            return None
        loaded, response = got
        return self.assemble(loaded, response)

    def assemble(self, loaded: Loaded, response: Response | PageSource) -> ArticleItem:
        """The spider's ArticleAssembly, with the archive in place of the downloader."""
        profile = self.profile
        first_url = profile.article_first_page(response.url)
        pages: dict[int, Any] = {}
        known: dict[int, str] = {}
        problem: str | None = None
        page_response: Response | PageSource | None = response
        while page_response is not None:
            page = extract_article_page(parse_source(page_response), profile)
            pages[profile.article_page_number(page_response.url) or 1] = page
            for url in page.page_urls:
                known.setdefault(profile.article_page_number(url) or 1, url)
            next_url = next((known[n] for n in sorted(known) if n not in pages), None)
            if next_url is None:
                break
            page_response, problem = self._later_page(next_url)
            if page_response is None:
                known.pop(profile.article_page_number(next_url) or 0, None)
                break
        ordered = [pages[n] for n in sorted(pages)]
        item = article_item(ordered, first_url, fetched_from(loaded.date), loaded.pointer)
        if _HAS_VERSION:
            item.version = self.version([p.url for p in ordered], loaded.capture)
        if problem is not None:
            item.problems.append(problem)
            self.stats.incomplete += 1
        self.stats.articles += 1
        if len(ordered) > 1:
            self.stats.multipage += 1
        return item

    def version(self, page_urls: list[str], page_one: Capture) -> int:
        """The article's version as the crawl numbers it (pipelines/version.py).

        A run counts when it captured a page of the article with a payload other than that
        page's capture in an earlier run (the first capture counts): the runs the crawl
        exported the article in. Counted up to the run of ``page_one``.
        """
        runs = list(
            dict.fromkeys(
                c.run for c in self._ok.get(page_one.url, []) if c.sort_key <= page_one.sort_key
            )
        )
        count = sum(1 for run in runs if any(self._changed_in(url, run) for url in page_urls))
        return max(count, 1)

    def _changed_in(self, url: str, run: str | None) -> bool:
        captures = self._ok.get(url, [])
        in_run = [c for c in captures if c.run == run]
        if not in_run:
            return False
        before = [c for c in captures if c.sort_key < in_run[0].sort_key and c.run != run]
        return not before or before[-1].digest != in_run[-1].digest

    def _later_page(self, url: str) -> tuple[Response | PageSource | None, str | None]:
        """A later page's response, or the problem the spider's errback would record."""
        capture = self._latest_ok.get(url)
        if capture is not None:
            got = self._response(capture)
            if got is not None:
                return got[1], None
            return None, f"page not fetched: {url} (not usable in the archive)"
        other = self._latest_any.get(url)
        if other is not None:
            # HttpErrorMiddleware's message, as the live crawl's errback records it.
            return None, f"page not fetched: {url} (Ignoring non-200 response)"
        return None, f"page not fetched: {url} (not in the archive)"


# --------------------------------------------------------------------------- output


class AtomicLines:
    """Lines for ``path``, written to a temporary file beside it and renamed into place.

    Lines go out as they come, so a re-extraction holds no more than one item at a time
    whatever the archive's size; until ``commit()`` readers of ``path`` see the old file,
    and leaving the ``with`` block without a commit leaves the old file as it was.
    """

    def __init__(self, path: Path | str, *, append: bool) -> None:
        self.path = Path(path)
        self.count = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self._tmp_name = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        self._out: BinaryIO | None = os.fdopen(fd, "wb")
        try:
            if append and self.path.exists():
                self._copy_old()
        except BaseException:
            self.discard()
            raise

    def _copy_old(self) -> None:
        assert self._out is not None
        last = b""
        with open(self.path, "rb") as old:
            while chunk := old.read(1 << 20):  # a long file is not read into memory whole
                self._out.write(chunk)
                last = chunk
        if last and not last.endswith(b"\n"):
            self._out.write(b"\n")

    def write(self, line: bytes) -> None:
        assert self._out is not None, "already committed or discarded"
        self._out.write(line)
        self.count += 1

    def commit(self) -> int:
        """Make the lines durable and put them in place; the number of lines written."""
        assert self._out is not None, "already committed or discarded"
        out, self._out = self._out, None
        try:
            with out:
                out.flush()
                os.fsync(out.fileno())
            os.chmod(self._tmp_name, 0o644)
            os.replace(self._tmp_name, self.path)
        except BaseException:
            Path(self._tmp_name).unlink(missing_ok=True)
            raise
        return self.count

    def discard(self) -> None:
        if self._out is not None:
            out, self._out = self._out, None
            out.close()
            Path(self._tmp_name).unlink(missing_ok=True)

    def __enter__(self) -> AtomicLines:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.discard()
