"""The 嵊州新闻网 spider: home → channels → topics/columns → list pages → articles.

Callbacks stay thin: the site profile says what a URL is, ``crawler.extraction`` turns a page
into plain data, and the spider only decides what to request next and what to yield.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.dedup.links import LinkFilter
from crawler.dedup.maintenance import load_pending, save_pending
from crawler.deferral import RequestDeferred
from crawler.discovery.outlinks import BlockLink, css_links, links_by_block, requisite_links
from crawler.downloader import FETCH_BEGAN
from crawler.extensions.warc import UNCHANGED, WARC_LOCATION
from crawler.extraction.article import extract_page
from crawler.extraction.assembly import ArticleAssembly
from crawler.extraction.page import ArticlePage, ParsedPage, parse_response
from crawler.extraction.section import extract_section_page
from crawler.failures import FAILED_FILE, PERMANENT_FAILURES, failure_reason
from crawler.incremental.revisits import FULL_FETCH, Revisits, published_time
from crawler.items import ArticleItem, fetched_at, section_item
from crawler.profile import PageKind, SiteProfile, site_profile
from crawler.resume.job import InflightLog, callback_name
from crawler.run import RunContext, run_context
from crawler.state import CaptureState

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class SznewsSpider(scrapy.Spider):
    name = "sznews"

    def __init__(
        self, start_url: str | None = None, *, profile: SiteProfile, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.start_url = start_url or profile.start_url
        # Links in the other scheme are the same pages, requested in the start URL's scheme.
        self.profile = profile.starting_at(self.start_url)
        self.site_host = (urlsplit(self.start_url).hostname or "").lower()
        self.allowed_domains = [self.site_host]
        self.run: RunContext | None = None  # set by from_crawler
        self._links: LinkFilter | None = None
        self._refetched: set[str] = set()
        self._revisits: Revisits | None | bool = False  # False: not looked up yet
        self.failed: dict[str, dict[str, str]] = {}  # url -> callback, reason
        # Later pages (`_NN`) of articles linked from anywhere, by page 1: an assembly takes
        # them in even when its own pages' links do not name them all.
        self._later_pages: dict[str, set[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SznewsSpider:
        if "profile" in kwargs:
            raise ValueError("the site profile is the SITE_PROFILE setting, not a spider argument")
        spider = super().from_crawler(crawler, *args, profile=site_profile(crawler.settings),
                                      **kwargs)
        spider.run = run_context(crawler)
        return spider

    @property
    def links(self) -> LinkFilter | None:
        """The crawl's link filter, built on first use (stats exist only once crawling)."""
        settings = self.crawler.settings
        if self._links is None and settings.getbool("DEDUP_ENABLED", True):
            self._links = LinkFilter.from_settings(settings)
        return self._links

    @property
    def revisits(self) -> Revisits | None:
        """The run's revisit schedule (None: every archived page is asked for again)."""
        if self._revisits is False:
            self._revisits = Revisits.for_run(self.crawler)
        return self._revisits or None

    @property
    def full_sweep(self) -> bool:
        revisits = self.revisits
        return revisits is None or revisits.full_sweep

    async def start(self) -> AsyncIterator[scrapy.Request]:
        ctx = self.run
        assert ctx is not None, "a crawl's spider is built by from_crawler"
        if ctx.write_failed is not None:
            return  # ARCHIVE_DIR could not even take the state database (a full disk)
        # URLs an earlier run left in maintenance or could not fetch come first.
        carried = [(entry, "dedup/maintenance/carried_over")
                   for entry in load_pending(ctx.layout.state_dir)]
        carried += [(entry, "incremental/failed/carried_over")
                    for entry in load_pending(ctx.layout.state_dir, FAILED_FILE)]
        for entry, stat in carried:
            request = self._written_down(entry["url"], entry.get("callback") or "parse",
                                         priority=100, stat=stat)
            if request is not None:
                yield request
        # Work a killed run had started and not finished: put it back.
        if ctx.inflight is not None:
            for url, name in InflightLog.unfinished(ctx.inflight.path):
                request = self._written_down(url, name, priority=50, dont_filter=True,
                                             stat="job/resumed_requests")
                if request is not None:
                    yield request
        yield scrapy.Request(self.start_url, callback=self.parse, errback=self.request_failed)
        # What the revisit schedule says is due, linked from today's walk or not.
        if self.revisits is not None:
            counts: Counter[str] = Counter()
            for url in self.revisits.due_urls():
                kind = self.profile.kind_of(url)
                if self.links is not None and not self.links.admit(url, url, None, counts):
                    continue
                self.crawler.stats.inc_value(f"incremental/{kind.value}s/due")
                if kind is PageKind.ARTICLE:
                    yield self._article_request(url)
                else:
                    yield scrapy.Request(url, callback=self.parse_requisite,
                                         errback=self.request_failed, priority=6)

    # -- callbacks ------------------------------------------------------------------------

    def parse(self, response: Response) -> Iterator[Any]:
        """Any page: dispatch on what the profile says the URL is.

        @url http://sznews.zjol.com.cn/sznews/index.shtml
        @returns items 0 0
        @returns requests 10
        """
        kind = self.profile.kind_of(response.url)
        if kind is PageKind.HOME:
            self.crawler.stats.inc_value("sznews/hub_pages")
        if kind is PageKind.ARTICLE:
            yield from self.parse_article(response)
        elif kind is PageKind.SECTION:
            yield from self.parse_section(response)
        elif kind is PageKind.REQUISITE:
            yield from self.parse_requisite(response)
        elif isinstance(response, TextResponse):
            yield from self._follow(response, self._parse(response))

    def parse_section(self, response: Response, overlap: bool = False) -> Iterator[Any]:
        """A channel, topic or column page (any list page of it); ``overlap``: the list page
        before this one showed only archived articles.

        @url http://sznews.zjol.com.cn/sznews/szzt/index.shtml
        @returns items 1 1
        @returns requests 5
        @scrapes url name breadcrumb kind parent list_pages
        """
        page = self._parse(response)
        self.crawler.stats.inc_value("sznews/hub_pages")
        section = extract_section_page(page, self.profile)
        links = links_by_block(page, self.profile)  # for the walk and the follow alike
        number = self.profile.list_page_number(response.url)
        counts: Counter[str] = Counter()
        if number == 1:
            self.crawler.stats.inc_value(f"sznews/sections/{section.kind}")
            yield section_item(section, fetched_at(response.meta.get(FETCH_BEGAN)),
                               response.meta.get(WARC_LOCATION))
        else:
            counts["incremental/list_pages/walked"] += 1
        if self.full_sweep:
            if number == 1:  # every list page, even where the pager shows only a window
                for n in range(1, section.list_pages):
                    yield from self._request(self.profile.list_page_url(section.url, n + 1),
                                             response, counts)
        elif number < section.list_pages:
            yield from self._walk_on(response, links, section.url, number, section.list_pages,
                                     overlap, counts)
        self._add_stats(counts)
        yield from self._follow(response, page, links)

    def _walk_on(
        self, response: Response, links: list[BlockLink], section_url: str, number: int,
        last: int, overlap: bool, counts: Counter[str],
    ) -> Iterator[scrapy.Request]:
        """A column's next list page, while the lists show articles not archived yet.

        Lists are newest first: once a page shows only archived articles, one more page is
        looked at (an article inserted meanwhile pushes one onto it), then the walk stops.
        Articles filed late deep in a list are found by the next full sweep.
        """
        revisits = self.revisits
        assert revisits is not None
        fresh = False
        for link in links:
            if link.block.startswith("profile:"):
                continue  # the sidebars and nav of every page: not this list
            url, kind = self.profile.classify(link.url)
            if kind is PageKind.ARTICLE and not revisits.archived(url):
                fresh = True
                break
        if not fresh and overlap:
            counts["incremental/list_pages/skipped"] += last - number
            return
        url = self.profile.list_page_url(section_url, number + 1)
        if self.links is not None and not self.links.admit(url, response.url, None, counts):
            return
        yield scrapy.Request(url, callback=self.parse_section, errback=self.request_failed,
                             cb_kwargs={"overlap": not fresh})

    def parse_article(
        self, response: Response, assembly: ArticleAssembly | None = None
    ) -> Iterator[Any]:
        """One page of an article; the item is yielded once its last page is in.

        @url http://sznews.zjol.com.cn/sznews/xwpd/index.shtml
        @first_article
        @returns items 1 1
        @scrapes url title published breadcrumb body pages fetched
        """
        if response.status == 304:
            if self.revisits is not None:
                self.revisits.checked(self.profile.article_first_page(response.url),
                                      changed=False)
            yield from self._revalidate_later_pages(response.url)
            return
        page_doc = self._parse(response)
        page = self._extract_article(page_doc)
        if assembly is None:
            first = self.profile.article_first_page(response.url)
            assembly = ArticleAssembly(first, fetched_at(response.meta.get(FETCH_BEGAN)))
        next_url = assembly.add(
            page, self.profile, also=sorted(self._later_pages.get(assembly.first_url, ())),
            warc=response.meta.get(WARC_LOCATION), unchanged=bool(response.meta.get(UNCHANGED)),
        )
        yield from self._follow(response, page_doc)
        if next_url is not None:
            yield scrapy.Request(
                next_url,
                callback=self.parse_article,
                errback=self.request_failed,
                cb_kwargs={"assembly": assembly},
                priority=10,
                meta={FULL_FETCH: True},
                dont_filter=True,  # a continuation: the page may have been checked already
            )
            return
        if assembly.nothing_new:
            # Every page is what an earlier run archived: nothing new to say.
            if self.revisits is not None:
                self.revisits.checked(assembly.first_url, changed=False,
                                      published=published_time(assembly.pages[1].published
                                                               if 1 in assembly.pages else None))
            return
        if assembly.empty:
            # No text at all (a page of NUL bytes): archived, but not an article.
            self.crawler.stats.inc_value("sznews/articles/empty")
            return
        yield self._article_item(assembly)

    def _extract_article(self, page_doc: ParsedPage) -> ArticlePage:
        """Extraction that cannot stop the crawl: a bug in it costs fields, never pages."""
        page, error = extract_page(page_doc, self.profile)
        if error is not None:
            self.logger.warning("extraction failed on %s: %r", page_doc.url, error,
                                exc_info=error)
            self.crawler.stats.inc_value("sznews/extraction/failed")
        self.crawler.stats.inc_value(f"sznews/extracted_by/{page.extracted_by or 'nothing'}")
        return page

    def _revalidate_later_pages(self, url: str) -> Iterator[scrapy.Request]:
        """Page 1 is not modified; a correction may still sit on a later page."""
        state = self._state()
        if state is None:
            return
        first = self.profile.article_first_page(url)
        number = 2
        while state.capture(later := self.profile.article_page_url(first, number)) is not None:
            yield scrapy.Request(
                later,
                callback=self.check_later_page,
                cb_kwargs={"first_url": first},
                meta={"handle_httpstatus_list": [304]},
                priority=5,
            )
            number += 1

    def check_later_page(self, response: Response, first_url: str) -> Iterator[Any]:
        """A later page of an unmodified page 1: if it changed, the whole article is new again."""
        if response.status == 304 or response.meta.get(UNCHANGED):
            return
        if first_url in self._refetched:
            return
        self._refetched.add(first_url)
        self.crawler.stats.inc_value("incremental/articles/changed_later_page")
        yield scrapy.Request(
            first_url,
            callback=self.parse_article,
            errback=self.request_failed,
            dont_filter=True,
            priority=10,
            meta={FULL_FETCH: True},
        )

    def _state(self) -> CaptureState | None:
        settings = self.crawler.settings
        if not settings.getbool("INCREMENTAL_ENABLED", True) or settings.getbool(
            "ARCHIVE_READ_ONLY"
        ):
            return None
        return self.run.capture_state() if self.run is not None else None

    def request_failed(self, failure: Failure) -> Iterator[Any]:
        """Every request's errback: count why it failed, and name what was dropped."""
        if failure.check(RequestDeferred):
            return  # the same request comes back later
        if failure.check(HttpError) and failure.value.response.status == 304:
            # A requisite asked for conditionally, not modified: the WARC has its revisit.
            self.crawler.stats.inc_value("incremental/requisites/not_modified")
            return
        reason = failure_reason(failure)
        if reason == "robots":  # a link the site asks crawlers to leave: not a failure
            self.crawler.stats.inc_value("sznews/links/robots_skipped")
            return
        self.crawler.stats.inc_value(f"sznews/failed/{reason}")
        request = failure.request
        if reason not in PERMANENT_FAILURES and urlsplit(request.url).hostname == self.site_host:
            # Asked first by the next run, until it succeeds or is gone (404/410).
            self.failed[request.url] = {"url": request.url, "callback": callback_name(request),
                                        "reason": reason}
            summary = self.run.summary if self.run is not None else None
            if summary is not None:
                summary.note(summary.failed_fetches, self.failed[request.url])
        if reason in ("too_large", "decompressed_too_large") and self.run is not None:
            summary = self.run.summary
            summary.note(summary.dropped, {"url": failure.request.url, "reason": reason,
                                           "detail": failure.getErrorMessage()[:300]})
        assembly: ArticleAssembly | None = failure.request.cb_kwargs.get("assembly")
        if assembly is not None:
            yield self._incomplete_article(assembly, failure)

    def closed(self, reason: str) -> None:
        """Hand this run's failed fetches to the next run (a killed run's are in its work log)."""
        settings = self.crawler.settings
        if settings.getbool("ARCHIVE_READ_ONLY") or self.run is None:
            return
        entries = sorted(self.failed.values(), key=lambda e: e["url"])
        try:
            save_pending(self.run.layout.state_dir, entries, FAILED_FILE)
        except OSError as exc:
            self.logger.warning("Could not save the failed fetches for the next run: %s", exc)

    def _incomplete_article(self, assembly: ArticleAssembly, failure: Failure) -> ArticleItem:
        """A later page could not be fetched: the article is still exported, with a problem."""
        self.crawler.stats.inc_value("sznews/articles/incomplete")
        assembly.lost(failure.request.url, failure.getErrorMessage(), self.profile)
        return self._article_item(assembly)

    def parse_requisite(self, response: Response) -> Iterator[Any]:
        """Images, scripts, stylesheets; stylesheets name further requisites."""
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if "css" in content_type or response.url.endswith(".css"):
            counts: Counter[str] = Counter()
            for url in css_links(response.url, response.body):
                yield from self._request(url, response, counts)
            self._add_stats(counts)

    # -- helpers --------------------------------------------------------------------------

    def _article_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.request_failed,
            priority=5,
            meta={"handle_httpstatus_list": [304]},  # not modified: check later pages
        )

    def _written_down(
        self, url: str, callback_name: str, *, priority: int, stat: str, dont_filter: bool = False
    ) -> scrapy.Request | None:
        """A request recorded by an earlier run (by URL and callback name), made again."""
        if callback_name == "check_later_page":  # needs its page 1: start from there
            callback_name = "parse_article"
        callback = getattr(self, callback_name, None)
        if not callable(callback) or urlsplit(url).hostname != self.site_host:
            return None
        meta = {}
        if callback == self.parse_article:
            # An article is assembled from page 1, every page in full: the page written down
            # may be a later one that an earlier assembly never got.
            url = self.profile.article_first_page(url)
            meta[FULL_FETCH] = True
        self.crawler.stats.inc_value(stat)
        return scrapy.Request(url, callback=callback, errback=self.request_failed,
                              priority=priority, dont_filter=dont_filter, meta=meta)

    def _article_item(self, assembly: ArticleAssembly) -> ArticleItem:
        self._later_pages.pop(assembly.first_url, None)
        self.crawler.stats.inc_value("sznews/articles")
        if any(page.problems for page in assembly.pages.values()):
            self.crawler.stats.inc_value("sznews/articles/with_problems")
        if len(assembly.pages) > 1:
            self.crawler.stats.inc_value("sznews/articles/multipage")
        return assembly.item()

    def _parse(self, response: Response) -> ParsedPage:
        return parse_response(response)

    def _follow(
        self, response: Response, page: ParsedPage, links: list[BlockLink] | None = None
    ) -> Iterator[scrapy.Request]:
        """Links of the page (``links``: by block, when the caller has them already), each
        target once, tagged with the block it sits in."""
        seen: set[str] = set()
        counts: Counter[str] = Counter()
        for link in links if links is not None else links_by_block(page, self.profile):
            yield from self._request(
                link.url, response, counts, seen=seen, block=(link.block, link.fingerprint)
            )
        for url in requisite_links(page):
            yield from self._request(url, response, counts, requisite=True, seen=seen)
        self._add_stats(counts)

    def _add_stats(self, counts: Counter[str]) -> None:
        """A page's link decisions, added to the stats at once (there are ~100 a page)."""
        stats = self.crawler.stats
        for key, value in counts.items():
            stats.inc_value(key, value)

    def _request(
        self,
        url: str,
        response: Response,
        counts: Counter[str],
        requisite: bool = False,
        seen: set[str] | None = None,
        block: tuple[str, str] | None = None,
    ) -> Iterator[scrapy.Request]:
        if not url.startswith(("http://", "https://")):
            return
        canonical, kind = self.profile.classify(url)
        if urlsplit(canonical).hostname != self.site_host:
            counts["sznews/links/offsite"] += 1
            return
        if canonical != url:
            counts["dedup/canonical/skipped"] += 1
        if kind is PageKind.ARTICLE and (self.profile.article_page_number(url) or 1) > 1:
            # A later page: its article is requested from page 1, and the page itself is
            # remembered for that article's assembly, whatever block linked it.
            self._later_pages.setdefault(canonical, set()).add(self.profile.canonical_url(url))
        if seen is not None:
            if canonical in seen:
                counts["dedup/in_page/skipped"] += 1
                return
            seen.add(canonical)
        if kind is PageKind.CALENDAR:
            counts["dedup/calendar/skipped"] += 1
            return
        if self.links is not None and not self.links.admit(
            canonical, response.url, block, counts
        ):
            return
        if kind is PageKind.SECTION and not self.full_sweep and (
            self.profile.list_page_number(canonical) > 1
        ):
            counts["incremental/list_pages/left_to_the_walk"] += 1
            return
        if kind in (PageKind.ARTICLE, PageKind.REQUISITE) and self.revisits is not None and (
            not self.revisits.due(canonical)
        ):
            counts[f"incremental/{kind.value}s/not_due"] += 1
            return
        if kind is PageKind.OTHER and not requisite:
            # A same-host page of no kind the profile knows is followed all the same
            # (robots.txt, traps and template repeats still apply): the archive must not
            # depend on the profile foreseeing every page of the site.
            counts["sznews/links/other_followed"] += 1
        if kind is PageKind.ARTICLE:
            yield self._article_request(canonical)
        elif kind is PageKind.SECTION:
            yield scrapy.Request(canonical, callback=self.parse_section,
                                 errback=self.request_failed)
        elif kind is PageKind.HOME or (kind is PageKind.OTHER and not requisite):
            yield scrapy.Request(canonical, callback=self.parse, errback=self.request_failed)
        else:
            yield scrapy.Request(canonical, callback=self.parse_requisite,
                                 errback=self.request_failed, priority=6)
