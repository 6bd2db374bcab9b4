"""The crawl's requests, one way for each kind of page: callback, errback, priority, meta.

The callbacks are the spider's (``Callbacks``): a request written down by a killed or
failed run names its callback, and is made again here from that name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.incremental.recheck import FULL_FETCH
from crawler.profile import PageKind, SiteProfile


class Callbacks(Protocol):
    """The spider's callbacks, by the names requests are written down with."""

    def parse(self, response: Response) -> Iterator[Any]: ...
    def parse_section(self, response: Response, overlap: bool = False) -> Iterator[Any]: ...
    def parse_article(self, response: Response, assembly: Any = None) -> Iterator[Any]: ...
    def parse_requisite(self, response: Response) -> Iterator[Any]: ...
    def check_later_page(self, response: Response, first_url: str) -> Iterator[Any]: ...
    def request_failed(self, failure: Failure) -> Iterator[Any]: ...


class SiteRequests:
    """Requests with the spider's callbacks, for the site at ``site_host``."""

    def __init__(self, callbacks: Callbacks, profile: SiteProfile, site_host: str) -> None:
        self.callbacks = callbacks
        self.profile = profile
        self.site_host = site_host

    def for_link(self, url: str, kind: PageKind, requisite: bool = False) -> scrapy.Request:
        """An admitted link (canonical ``url``) by what it is; ``requisite``: linked as one."""
        cb = self.callbacks
        if kind is PageKind.ARTICLE:
            return self.article(url)
        if kind is PageKind.SECTION:
            return scrapy.Request(url, callback=cb.parse_section, errback=cb.request_failed)
        if kind is PageKind.HOME or (kind is PageKind.OTHER and not requisite):
            return scrapy.Request(url, callback=cb.parse, errback=cb.request_failed)
        return self.requisite(url)

    def start(self, url: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.callbacks.parse,
                              errback=self.callbacks.request_failed)

    def requisite(self, url: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.callbacks.parse_requisite,
                              errback=self.callbacks.request_failed, priority=6)

    def article(self, url: str) -> scrapy.Request:
        """Page 1 of an article, conditionally where it is archived."""
        return scrapy.Request(
            url,
            callback=self.callbacks.parse_article,
            errback=self.callbacks.request_failed,
            priority=5,
            meta={"handle_httpstatus_list": [304]},  # not modified: check later pages
        )

    def article_again(self, first_url: str) -> scrapy.Request:
        """Page 1 of an article one of whose later pages changed: every page in full."""
        return scrapy.Request(first_url, callback=self.callbacks.parse_article,
                              errback=self.callbacks.request_failed, dont_filter=True,
                              priority=10, meta={FULL_FETCH: True})

    def next_page(self, url: str, assembly: Any) -> scrapy.Request:
        """The next page of an article being assembled (``assembly`` rides along)."""
        return scrapy.Request(
            url,
            callback=self.callbacks.parse_article,
            errback=self.callbacks.request_failed,
            cb_kwargs={"assembly": assembly},
            priority=10,
            meta={FULL_FETCH: True},
            dont_filter=True,  # a continuation: the page may have been checked already
        )

    def list_page(self, url: str, overlap: bool) -> scrapy.Request:
        """A column's next list page in the list walk (``overlap``: see ``listwalk.py``)."""
        return scrapy.Request(url, callback=self.callbacks.parse_section,
                              errback=self.callbacks.request_failed,
                              cb_kwargs={"overlap": overlap})

    def later_page_check(self, url: str, first_url: str) -> scrapy.Request:
        """A later page of an article whose page 1 was not modified, asked conditionally."""
        return scrapy.Request(url, callback=self.callbacks.check_later_page,
                              cb_kwargs={"first_url": first_url},
                              meta={"handle_httpstatus_list": [304]}, priority=5)

    def written_down(
        self, url: str, callback_name: str, *, priority: int, dont_filter: bool = False
    ) -> scrapy.Request | None:
        """A request recorded by an earlier run (by URL and callback name), made again; None
        for one this spider cannot make (no such callback, another host)."""
        if callback_name == "check_later_page":  # needs its page 1: start from there
            callback_name = "parse_article"
        callback = getattr(self.callbacks, callback_name, None)
        if not callable(callback) or urlsplit(url).hostname != self.site_host:
            return None
        meta = {}
        if callback == self.callbacks.parse_article:
            # An article is assembled from page 1, every page in full: the page written down
            # may be a later one that an earlier assembly never got.
            url = self.profile.article_first_page(url)
            meta[FULL_FETCH] = True
        return scrapy.Request(url, callback=callback, errback=self.callbacks.request_failed,
                              priority=priority, dont_filter=dont_filter, meta=meta)
