"""The list walk: which list pages of a section are asked for.

A full sweep asks for every list page of a section from its page 1 (even where the pager
shows only a window of them). Between sweeps, lists are newest first: a column's next list
page is asked for while the lists show articles not archived yet; once a page shows only
archived articles, one more page is looked at (an article inserted meanwhile pushes one onto
it), then the walk stops. Articles filed late deep in a list are found by the next sweep.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import scrapy

from crawler.discovery.admission import LinkAdmission
from crawler.discovery.outlinks import BlockLink
from crawler.discovery.requests import SiteRequests
from crawler.extraction.page import SectionHead
from crawler.incremental.recheck import RecheckSchedule
from crawler.profile import PageKind


class ListWalk:
    def __init__(self, admission: LinkAdmission, requests: SiteRequests) -> None:
        self.admission = admission
        self.requests = requests
        self.profile = admission.profile

    def requests_after(
        self, page_url: str, section: SectionHead, links: list[BlockLink], overlap: bool,
        counts: Counter[str],
    ) -> Iterator[scrapy.Request]:
        """The list pages to ask for after list page ``page_url`` of ``section`` (its
        ``links``); ``overlap``: the list page before it showed only archived articles."""
        number = self.profile.list_page_number(page_url)
        if number != 1:
            counts["incremental/list_pages/walked"] += 1
        if self.admission.full_sweep:
            if number == 1:  # every list page, even where the pager shows only a window
                for n in range(1, section.list_pages):
                    url = self.profile.list_page_url(section.url, n + 1)
                    admitted = self.admission.admit(url, page_url, counts)
                    if admitted is not None:
                        yield self.requests.for_link(*admitted)
        elif number < section.list_pages:
            yield from self._walk_on(page_url, links, section.url, number, section.list_pages,
                                     overlap, counts)

    def _walk_on(
        self, page_url: str, links: list[BlockLink], section_url: str, number: int, last: int,
        overlap: bool, counts: Counter[str],
    ) -> Iterator[scrapy.Request]:
        """A column's next list page, while the lists show articles not archived yet."""
        schedule = self.admission.schedule
        assert schedule is not None
        fresh = shows_new_articles(links, self.admission, schedule)
        if not fresh and overlap:
            counts["incremental/list_pages/skipped"] += last - number
            return
        url = self.profile.list_page_url(section_url, number + 1)
        if not self.admission.new(url, page_url, counts):
            return
        yield self.requests.list_page(url, overlap=not fresh)


def shows_new_articles(
    links: list[BlockLink], admission: LinkAdmission, schedule: RecheckSchedule
) -> bool:
    """Whether a list page links an article not archived yet (sidebars and nav aside)."""
    for link in links:
        if link.block.startswith("profile:"):
            continue  # the sidebars and nav of every page: not this list
        url, kind = admission.profile.classify(link.url)
        if kind is PageKind.ARTICLE and not schedule.archived(url):
            return True
    return False
