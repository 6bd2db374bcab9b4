"""Re-extraction: the crawl's items made again from the WARCs alone, by the crawl's own code.

``scrapy reextract`` writes them, and ``scrapy warcshell`` shows the item of one capture. Each
archived page is rebuilt as the response the spider's callback saw
(``crawler/archived/responses.py``), parsed as the spider parses it
(``crawler.extraction.page.parse_response``), an article put together by the spider's assembly
(``crawler/extraction/assembly.py``) with the archive in place of the downloader, and its
versions numbered by the crawl's rule (``crawler.items.next_version``):
run after run, a capture of page 1 is a new version only when its content differs from the
newest version's. So on an unchanged extraction the items are the crawl's, field for field
(``tests/test_reextract_identity.py``), and an improved one gives old archives better items
without a new crawl.

A run's item is made of what that run archived: the latest 200 capture of page 1 in the run
(a revisit standing for its original's payload), and the pages the article's own pages link
to as the run captured them, with the later pages the run captured for it besides (the crawl
takes in later pages linked from anywhere). A section's item comes from its list page 1.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from archive.captures import IndexedCapture, Loaded
from archive.durable import put_in_place, temporary_beside
from archive.reader import ArchiveReadError
from crawler.archived.responses import Archive, DownloadLimits, archived_response, fetched_from
from crawler.dedup.maintenance import is_maintenance_response
from crawler.extraction.article import extract_page
from crawler.extraction.assembly import NOT_FETCHED, ArticleAssembly
from crawler.extraction.page import parse_response
from crawler.extraction.section import extract_section_page
from crawler.items import ArticleItem, SectionItem, content_key, next_version, section_item
from crawler.profile import PageKind, SiteProfile

logger = logging.getLogger(__name__)


def _content_type_is_html(content_type: str | None) -> bool:
    if not content_type:
        return True  # undeclared: the spider parses it as HTML all the same
    value = content_type.split(";", 1)[0].strip().lower()
    return value in ("text/html", "application/xhtml+xml")


@dataclass
class ReextractStats:
    """What a re-extraction read, made and passed over: its summary line."""

    warc_files: int
    captures: int
    made: Counter[str] = field(default_factory=Counter)  # items, by what they are
    skipped: Counter[str] = field(default_factory=Counter)  # captures, by why

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1

    def summary(self) -> str:
        made = self.made
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items())) or "none"
        return (
            f"{made['articles']} articles ({made['multi-page']} multi-page, "
            f"{made['incomplete']} incomplete), {made['sections']} sections from "
            f"{self.captures} captures in {self.warc_files} WARC files; skipped: {skipped}"
        )


class Reextractor:
    """The items of an archive, made again; ``items()`` gives them all.

    ``host``: the one host crawled (the profile's unless the crawl started elsewhere).
    """

    def __init__(
        self,
        archive: Archive,
        profile: SiteProfile,
        limits: DownloadLimits | None = None,
        host: str | None = None,
    ) -> None:
        self.archive = archive
        self.profile = profile
        self.limits = limits or DownloadLimits()
        self.host = (host or profile.host).lower()
        self.stats = ReextractStats(warc_files=len(archive.warc_paths()),
                                    captures=len(archive.captures))
        self._runs: dict[str | None, int] = {}  # run -> its place, oldest first
        # Per page URL and run: the latest capture the run made of it, and the latest 200.
        self._latest: dict[tuple[str, str | None], IndexedCapture] = {}
        self._latest_ok: dict[tuple[str, str | None], IndexedCapture] = {}
        # Per item (an article's page 1, a section): the latest 200 of its page 1 in each run.
        self._firsts: dict[str, dict[str | None, IndexedCapture]] = {}
        # Per article and run: the later pages the run has a 200 of.
        self._later: dict[tuple[str, str | None], set[str]] = {}
        kinds: dict[str, PageKind | None] = {}
        for capture in sorted(archive.captures, key=lambda c: c.sort_key):
            url, run = capture.url, capture.run
            self._runs.setdefault(run, len(self._runs))
            if url not in kinds:
                kinds[url] = self._kind(url)
            kind = kinds[url]
            if kind is None:
                continue
            self._latest[url, run] = capture
            if capture.status != 200:
                continue
            self._latest_ok[url, run] = capture
            if kind is PageKind.ARTICLE:
                key = profile.article_first_page(url)
                if profile.article_page_number(url) != 1:
                    self._later.setdefault((key, run), set()).add(url)
                    continue
            elif profile.list_page_number(url) == 1:
                key = profile.section_url(url)
            else:
                continue
            # Several forms of one URL (``_01``, ``dir/``): the latest capture wins.
            self._firsts.setdefault(key, {})[run] = capture

    @classmethod
    def scan(
        cls,
        archive_dir: Path | str,
        profile: SiteProfile,
        *,
        limits: DownloadLimits | None = None,
        host: str | None = None,
    ) -> Reextractor:
        """The archive's WARCs scanned (no index): raises OSError/ArchiveReadError here."""
        return cls(Archive(archive_dir).scan(), profile, limits, host)

    def _kind(self, url: str) -> PageKind | None:
        """An article page or section page of the crawled host, or None (not an item's)."""
        kind = self.profile.kind_of(url)
        if kind not in (PageKind.ARTICLE, PageKind.SECTION):
            return None
        if (urlsplit(url).hostname or "").lower() != self.host:
            self.stats.skip("other host")
            return None
        return kind

    # -- items ------------------------------------------------------------------------------

    def items(self, every_version: bool = False) -> Iterator[ArticleItem | SectionItem]:
        """Each article's newest version and each section's latest item, or with
        ``every_version`` every item the runs exported (each article's versions in order,
        each section's item of every run): in the archive order of their latest page 1."""
        order = sorted(self._firsts, key=lambda key: _latest(self._firsts[key]).sort_key)
        for key in order:
            found: Iterable[ArticleItem | SectionItem]
            if self.profile.kind_of(key) is PageKind.ARTICLE:
                versions = self.article_versions(key)
                found = versions if every_version else _last(versions)
            else:
                found = self.section_items(key, latest=not every_version)
            for item in found:
                self._count(item)
                yield item

    def _count(self, item: ArticleItem | SectionItem) -> None:
        made = self.stats.made
        if isinstance(item, SectionItem):
            made["sections"] += 1
            return
        made["articles"] += 1
        made["multi-page"] += len(item.pages) > 1
        made["incomplete"] += any(p.startswith(NOT_FETCHED) for p in item.problems)

    def article_versions(
        self, key: str, at: IndexedCapture | None = None
    ) -> Iterator[ArticleItem]:
        """The versions of the article whose page 1 is ``key``, as the runs exported them.

        With ``at`` (a capture of its page 1), up to the run of ``at``, whose item is made
        of ``at`` and comes last whether or not it is new: numbered as the version whose
        content it has.
        """
        captures = self._firsts.get(key, {})
        if at is not None:  # the runs up to that of ``at``, oldest first
            place = self._runs[at.run]
            captures = {run: capture for run, capture in {**captures, at.run: at}.items()
                        if self._runs[run] <= place}
            captures = dict(sorted(captures.items(), key=lambda rc: self._runs[rc[0]]))
        number, content = 0, None
        for capture in captures.values():
            item = self.article(capture)
            if item is None:
                continue
            key_now = content_key(vars(item))
            new = next_version(number, content, key_now)
            if new is not None:
                number, content = new, key_now
                item.version = number
                yield item
            elif capture is at:
                item.version = number
                yield item

    def section_items(self, key: str, latest: bool = False) -> Iterator[SectionItem]:
        """The section's item of every run that has its list page 1 (``latest``: only of
        the latest run that gives one)."""
        captures = list(self._firsts.get(key, {}).values())
        for capture in reversed(captures) if latest else captures:
            item = self.section(capture)
            if item is not None:
                yield item
                if latest:
                    return

    def item_of(self, capture: IndexedCapture) -> ArticleItem | SectionItem | None:
        """The item re-extraction makes of one capture of an article's or section's page 1."""
        url = capture.url
        if self.profile.kind_of(url) is PageKind.ARTICLE:
            versions = self.article_versions(self.profile.article_first_page(url), capture)
            return next(iter(_last(versions)), None)
        return self.section(capture)

    def section(self, capture: IndexedCapture) -> SectionItem | None:
        got = self._response(capture)
        if got is None:
            return None
        loaded, response = got
        section = extract_section_page(parse_response(response), self.profile)
        return section_item(section, fetched_from(loaded.date), loaded.pointer)

    def article(self, capture: IndexedCapture) -> ArticleItem | None:
        """The article whose page 1 is ``capture``, put together as the spider does, with
        the pages the same run archived in place of the downloader."""
        got = self._response(capture)
        if got is None:
            return None
        loaded, response = got
        profile = self.profile
        assembly = ArticleAssembly(profile.article_first_page(response.url),
                                   fetched_from(loaded.date))
        later = sorted(self._later.get((assembly.first_url, capture.run), ()))
        page_response: Response | None = response
        while page_response is not None:
            page_doc = parse_response(page_response)
            page, error = extract_page(page_doc, profile)
            if error is not None:
                logger.warning("extraction failed on %s: %r", page_doc.url, error,
                               exc_info=error)
            next_url = assembly.add(page, profile, also=later, warc=loaded.pointer)
            if next_url is None:
                break
            page_response, problem = self._later_page(next_url, capture.run)
            if page_response is None:
                assembly.lost(next_url, problem, profile)
                return assembly.item()  # as the spider's errback: no more pages looked for
        if assembly.empty:
            self.stats.skip("no text")
            return None
        return assembly.item()

    def _later_page(self, url: str, run: str | None) -> tuple[Response | None, str]:
        """A later page's response, or why the spider's errback would have none."""
        capture = self._latest_ok.get((url, run))
        if capture is not None:
            got = self._response(capture)
            return (got[1], "") if got is not None else (None, "not usable in the archive")
        if (url, run) in self._latest:
            return None, "Ignoring non-200 response"  # HttpErrorMiddleware's message
        return None, "not in the archive"

    def _response(self, capture: IndexedCapture) -> tuple[Loaded, Response] | None:
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
        try:
            response = archived_response(loaded, limits=self.limits)
        except IgnoreRequest as exc:
            logger.warning("Dropped %s as the crawl would: %s", capture.url, exc)
            self.stats.skip("too large")
            return None
        except Exception as exc:  # undecodable content encoding: the crawl fails there too
            logger.warning("Cannot decode %s: %s", capture.url, exc)
            self.stats.skip("undecodable")
            return None
        # The crawl's own check, on the decoded response as its middleware makes it.
        if is_maintenance_response(response.request, response, self.profile):
            self.stats.skip("maintenance")
            return None
        return loaded, response


def _latest(captures: dict[str | None, IndexedCapture]) -> IndexedCapture:
    return next(reversed(captures.values()))


def _last(items: Iterable[ArticleItem]) -> list[ArticleItem]:
    """The last of ``items`` (all of them made), as a list of at most one."""
    last = None
    for last in items:  # noqa: B007 - the last one is what is wanted
        pass
    return [] if last is None else [last]


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
        fd, self._tmp = temporary_beside(self.path)
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
            out.close()
        except BaseException:
            self._tmp.unlink(missing_ok=True)
            raise
        put_in_place(self._tmp, self.path)
        return self.count

    def discard(self) -> None:
        if self._out is not None:
            out, self._out = self._out, None
            out.close()
            self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicLines:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.discard()
