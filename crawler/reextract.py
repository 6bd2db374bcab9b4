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

import ipaddress
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
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

from archive.captures import (
    CaptureIndex,
    CaptureNotFound,
    IndexedCapture,
    Loaded,
    nearest,
    parse_timestamp,
    timestamp14,
)
from archive.reader import ArchiveReadError
from crawler.dedup.maintenance import classify_maintenance
from crawler.extract import ParsedPage, extract_article_page, extract_section_page, parse_html
from crawler.items import ArticleItem, SectionItem, article_item, section_item
from crawler.middlewares import NoSniffingOfCompressedBodies
from crawler.profile import SZNEWS, PageKind, SiteProfile

logger = logging.getLogger(__name__)

WARC_LOCATION = "warc_location"  # the request.meta key the spider reads its pointer from
# Article items that carry a cross-run version number (set by a pipeline in the crawl).
_HAS_VERSION = "version" in {f.name for f in fields(ArticleItem)}

# Re-exported: ``scrapy warcshell`` and callers of this module look them up here.
__all__ = [
    "WARC_LOCATION",
    "Archive",
    "AtomicLines",
    "CaptureNotFound",
    "IndexedCapture",
    "Loaded",
    "PageSource",
    "Reextractor",
    "build_response",
    "compression_middleware",
    "parse_response",
    "parse_timestamp",
    "url_forms",
]


# --------------------------------------------------------------------------- captures


def fetched_from(warc_date: str) -> str:
    """A WARC-Date as the items' ``fetched`` (UTC, whole seconds)."""
    ts = timestamp14(warc_date)
    return f"{ts[0:4]}-{ts[4:6]}-{ts[6:8]}T{ts[8:10]}:{ts[10:12]}:{ts[12:14]}Z"


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


class Archive(CaptureIndex):
    """The capture index, looked up by every URL the site answers for the same page."""

    def captures_of(self, url: str, profile: SiteProfile = SZNEWS) -> list[IndexedCapture]:
        """Every capture of ``url`` under any of its forms, oldest first."""
        return self.captures_of_forms(url_forms(url, profile), profile.canonical_url)

    def find(
        self, url: str, timestamp: str | None = None, profile: SiteProfile = SZNEWS
    ) -> IndexedCapture:
        """The latest capture of ``url``, or the one nearest ``timestamp`` (14 digits)."""
        captures = self.captures_of(url, profile)
        if not captures:
            raise CaptureNotFound(f"{url} is not in the archive {self.layout.root}")
        return nearest(captures, timestamp)


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


def is_maintenance(loaded: Loaded, profile: SiteProfile) -> bool:
    content_encoding = loaded.header("Content-Encoding")
    return classify_maintenance(
        loaded.payload,
        loaded.url,
        loaded.header("Content-Type"),
        content_encoding.encode("latin-1") if content_encoding else None,
        profile,
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
        self._latest_ok: dict[str, IndexedCapture] = {}
        self._latest_any: dict[str, IndexedCapture] = {}
        self._ok: dict[str, list[IndexedCapture]] = {}  # every 200 capture of a URL, oldest first
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

    def _response(self, capture: IndexedCapture) -> tuple[Loaded, Response | PageSource] | None:
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
        if is_maintenance(loaded, self.profile):
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

    def _page_one_captures(self) -> tuple[dict[str, IndexedCapture], dict[str, IndexedCapture]]:
        """Latest 200 capture of each article page 1 and each section list page 1, by key."""
        articles: dict[str, IndexedCapture] = {}
        sections: dict[str, IndexedCapture] = {}
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

    def section(self, capture: IndexedCapture) -> SectionItem | None:
        got = self._response(capture)
        if got is None:
            return None
        loaded, response = got
        section = extract_section_page(parse_source(response), self.profile)
        self.stats.sections += 1
        return section_item(section, fetched_from(loaded.date), loaded.pointer)

    def article(self, capture: IndexedCapture) -> ArticleItem | None:
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

    def version(self, page_urls: list[str], page_one: IndexedCapture) -> int:
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
