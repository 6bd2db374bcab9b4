"""What the spider asks for after a page: its links, its section's list pages, a
stylesheet's requisites, and at the start what the recheck schedule says is due.

Each link passes the admission chain (``admission.py``) and becomes a request by its kind
(``requests.py``); a page's ~100 decisions are counted in one go.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import scrapy

from crawler.discovery.admission import LinkAdmission
from crawler.discovery.listwalk import ListWalk
from crawler.discovery.outlinks import BlockLink, css_links, links_by_block, requisite_links
from crawler.discovery.requests import SiteRequests
from crawler.discovery.revalidation import LaterPageRevalidation
from crawler.extraction.page import ParsedPage, SectionHead
from crawler.profile import PageKind
from crawler.state.store import CaptureState


class Discovery:
    """The run's discovery: ``admission`` (its link filter and recheck schedule), the
    ``requests`` it makes, the list ``walk`` and the later pages' ``revalidation``."""

    def __init__(
        self, admission: LinkAdmission, requests: SiteRequests, state: CaptureState | None,
        stats: Any,
    ) -> None:
        self.admission = admission
        self.requests = requests
        self.stats = stats
        self.walk = ListWalk(admission, requests)
        self.revalidation = LaterPageRevalidation(admission.profile, requests, state,
                                                  admission.schedule, stats)

    def follow(
        self, page_url: str, page: ParsedPage, links: list[BlockLink] | None = None
    ) -> Iterator[scrapy.Request]:
        """Links of the page (``links``: by block, when the caller has them already), each
        target once, tagged with the block it sits in."""
        seen: set[str] = set()
        counts: Counter[str] = Counter()
        profile = self.admission.profile
        for link in links if links is not None else links_by_block(page, profile):
            yield from self._request(link.url, page_url, counts, seen=seen,
                                     block=(link.block, link.fingerprint))
        for url in requisite_links(page):
            yield from self._request(url, page_url, counts, requisite=True, seen=seen)
        self.count(counts)

    def list_pages(
        self, page_url: str, section: SectionHead, links: list[BlockLink], overlap: bool
    ) -> Iterator[scrapy.Request]:
        """The list pages to ask for after list page ``page_url`` (``listwalk.py``)."""
        counts: Counter[str] = Counter()
        yield from self.walk.requests_after(page_url, section, links, overlap, counts)
        self.count(counts)

    def stylesheet(self, url: str, css: bytes) -> Iterator[scrapy.Request]:
        """What a stylesheet names (images, fonts, imported stylesheets)."""
        counts: Counter[str] = Counter()
        for link in css_links(url, css):
            yield from self._request(link, url, counts)
        self.count(counts)

    def due(self) -> Iterator[scrapy.Request]:
        """What the recheck schedule says is due, linked from today's walk or not."""
        schedule = self.admission.schedule
        if schedule is None:
            return
        counts: Counter[str] = Counter()
        for url in schedule.due_urls():
            kind = self.admission.profile.kind_of(url)
            if not self.admission.new(url, url, counts):
                continue
            self.stats.inc_value(f"incremental/{kind.value}s/due")
            if kind is PageKind.ARTICLE:
                yield self.requests.article(url)
            else:
                yield self.requests.requisite(url)

    def count(self, counts: Counter[str]) -> None:
        """A page's link decisions, added to the stats at once (there are ~100 a page)."""
        for key, value in counts.items():
            self.stats.inc_value(key, value)

    def _request(
        self, url: str, page_url: str, counts: Counter[str], *, requisite: bool = False,
        seen: set[str] | None = None, block: tuple[str, str] | None = None,
    ) -> Iterator[scrapy.Request]:
        admitted = self.admission.admit(url, page_url, counts, requisite=requisite, seen=seen,
                                        block=block)
        if admitted is not None:
            yield self.requests.for_link(*admitted, requisite=requisite)
