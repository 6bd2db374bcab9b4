"""The 嵊州新闻网 spider: home → channels → topics/columns → list pages → articles.

The spider is its callbacks: the site profile says what a URL is, ``crawler.extraction``
turns a page into plain data, ``crawler.discovery`` says what to request next (the links a
page admits, the list walk, what is due, later pages to revalidate, what earlier runs
handed on), and the spider only hands responses to them and yields what they make.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.capture.warc import UNCHANGED, WARC_LOCATION
from crawler.config import default
from crawler.dedup.links import LinkFilter
from crawler.discovery.admission import LinkAdmission
from crawler.discovery.carryover import FailedFetches, carried_over
from crawler.discovery.follow import Discovery
from crawler.discovery.outlinks import links_by_block
from crawler.discovery.requests import SiteRequests
from crawler.extraction.article import extract_page
from crawler.extraction.assembly import ArticleAssembly
from crawler.extraction.page import ArticlePage, ParsedPage, parse_response
from crawler.extraction.section import extract_section_page
from crawler.fetching.downloader import FETCH_BEGAN
from crawler.items import ArticleItem, fetched_at, section_item
from crawler.profile import PageKind, SiteProfile, site_profile
from crawler.run.context import RunContext
from crawler.run.owner import ArchiveRun

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
        self.requests = SiteRequests(self, self.profile, self.site_host)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SznewsSpider:
        if "profile" in kwargs:
            raise ValueError("the site profile is the SITE_PROFILE setting, not a spider argument")
        spider = super().from_crawler(crawler, *args, profile=site_profile(crawler.settings),
                                      **kwargs)
        return spider

    @property
    def run(self) -> RunContext | None:
        """The run (Scrapy builds the spider before the run's owner, an add-on)."""
        owner = self.crawler.get_addon(ArchiveRun)
        return owner.context if owner is not None else None

    @cached_property
    def failures(self) -> FailedFetches:
        """Built on first use: the crawler's stats exist only once crawling."""
        summary = self.run.summary if self.run is not None else None
        return FailedFetches(self.site_host, self.crawler.stats, summary)

    @cached_property
    def discovery(self) -> Discovery:
        """Built on first use, once crawling: the recheck schedule and the state are the
        run's, opened by its owner (``crawler/run/owner.py``) before the crawl began."""
        settings = self.crawler.settings
        links = LinkFilter.from_settings(settings) \
            if settings.getbool("DEDUP_ENABLED", default("DEDUP_ENABLED")) else None
        owner = self.crawler.get_addon(ArchiveRun)
        schedule = owner.schedule if owner is not None else None
        # The state the schedule reads (None exactly when there is no schedule).
        state = owner.state if schedule is not None and owner is not None else None
        admission = LinkAdmission(self.profile, self.site_host, links, schedule)
        return Discovery(admission, self.requests, state, self.crawler.stats)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        ctx = self.run
        assert ctx is not None, "a crawl's spider is built by from_crawler"
        if ctx.write_failed is not None:
            return  # ARCHIVE_DIR could not even take the state database (a full disk)
        inflight = ctx.inflight.path if ctx.inflight is not None else None
        for request in carried_over(ctx.layout.state_dir, inflight, self.requests,
                                    self.crawler.stats):
            yield request
        yield self.requests.start(self.start_url)
        for request in self.discovery.due():
            yield request

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
            yield from self.discovery.follow(response.url, parse_response(response))

    def parse_section(self, response: Response, overlap: bool = False) -> Iterator[Any]:
        """A channel, topic or column page (any list page of it); ``overlap``: the list page
        before this one showed only archived articles.

        @url http://sznews.zjol.com.cn/sznews/szzt/index.shtml
        @returns items 1 1
        @returns requests 5
        @scrapes url name breadcrumb kind parent list_pages
        """
        page = parse_response(response)
        self.crawler.stats.inc_value("sznews/hub_pages")
        section = extract_section_page(page, self.profile)
        links = links_by_block(page, self.profile)  # for the walk and the follow alike
        if self.profile.list_page_number(response.url) == 1:
            self.crawler.stats.inc_value(f"sznews/sections/{section.kind}")
            yield section_item(section, fetched_at(response.meta.get(FETCH_BEGAN)),
                               response.meta.get(WARC_LOCATION))
        yield from self.discovery.list_pages(response.url, section, links, overlap)
        yield from self.discovery.follow(response.url, page, links)

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
            yield from self.discovery.revalidation.not_modified(response.url)
            return
        page_doc = parse_response(response)
        page = self._extract_article(page_doc)
        if assembly is None:
            first = self.profile.article_first_page(response.url)
            assembly = ArticleAssembly(first, fetched_at(response.meta.get(FETCH_BEGAN)))
        next_url = assembly.add(
            page, self.profile, also=self.discovery.admission.later_pages_of(assembly.first_url),
            warc=response.meta.get(WARC_LOCATION), unchanged=bool(response.meta.get(UNCHANGED)),
        )
        yield from self.discovery.follow(response.url, page_doc)
        if next_url is not None:
            yield self.requests.next_page(next_url, assembly)
        elif assembly.nothing_new:
            # Every page is what an earlier run archived: nothing new to say.
            page1 = assembly.pages.get(1)
            self.discovery.revalidation.unchanged(assembly.first_url,
                                                  page1.published if page1 else None)
        elif assembly.empty:
            # No text at all (a page of NUL bytes): archived, but not an article.
            self.crawler.stats.inc_value("sznews/articles/empty")
        else:
            yield self._article_item(assembly)

    def check_later_page(self, response: Response, first_url: str) -> Iterator[Any]:
        """A later page of an unmodified page 1: if it changed, the whole article is new again."""
        if response.status == 304 or response.meta.get(UNCHANGED):
            return
        request = self.discovery.revalidation.changed(first_url)
        if request is not None:
            yield request

    def parse_requisite(self, response: Response) -> Iterator[Any]:
        """Images, scripts, stylesheets; stylesheets name further requisites."""
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if "css" in content_type or response.url.endswith(".css"):
            yield from self.discovery.stylesheet(response.url, response.body)

    def request_failed(self, failure: Failure) -> Iterator[Any]:
        """Every request's errback: count why it failed; an article whose later page could
        not be fetched is still exported, with a problem."""
        if not self.failures.record(failure):
            return
        assembly: ArticleAssembly | None = failure.request.cb_kwargs.get("assembly")
        if assembly is not None:
            self.crawler.stats.inc_value("sznews/articles/incomplete")
            assembly.lost(failure.request.url, failure.getErrorMessage(), self.profile)
            yield self._article_item(assembly)

    def closed(self, reason: str) -> None:
        """Hand this run's failed fetches to the next run."""
        if not self.crawler.settings.getbool("ARCHIVE_READ_ONLY") and self.run is not None:
            self.failures.save(self.run.layout.state_dir)

    # -- helpers --------------------------------------------------------------------------

    def _extract_article(self, page_doc: ParsedPage) -> ArticlePage:
        """Extraction that cannot stop the crawl: a bug in it costs fields, never pages."""
        page, error = extract_page(page_doc, self.profile)
        if error is not None:
            self.logger.warning("extraction failed on %s: %r", page_doc.url, error,
                                exc_info=error)
            self.crawler.stats.inc_value("sznews/extraction/failed")
        self.crawler.stats.inc_value(f"sznews/extracted_by/{page.extracted_by or 'nothing'}")
        return page

    def _article_item(self, assembly: ArticleAssembly) -> ArticleItem:
        self.discovery.admission.forget(assembly.first_url)
        self.crawler.stats.inc_value("sznews/articles")
        if any(page.problems for page in assembly.pages.values()):
            self.crawler.stats.inc_value("sznews/articles/with_problems")
        if len(assembly.pages) > 1:
            self.crawler.stats.inc_value("sznews/articles/multipage")
        return assembly.item()
