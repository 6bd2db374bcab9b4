"""Revalidation of an article whose page 1 is not modified: its later pages may still be.

A correction may sit on a later page only. When page 1 answers 304, every later page the
state database has a capture of is asked for conditionally (``check_later_page``); the first
one that changed has the whole article fetched again, every page in full.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy

from crawler.discovery.requests import SiteRequests
from crawler.incremental.recheck import RecheckSchedule, published_time
from crawler.profile import SiteProfile
from crawler.state.store import CaptureState


class LaterPageRevalidation:
    """``state`` and ``schedule``: the run's (None when incremental fetching is off)."""

    def __init__(
        self, profile: SiteProfile, requests: SiteRequests, state: CaptureState | None,
        schedule: RecheckSchedule | None, stats: Any,
    ) -> None:
        self.profile = profile
        self.requests = requests
        self.state = state
        self.schedule = schedule
        self.stats = stats
        self._refetched: set[str] = set()

    def not_modified(self, url: str) -> Iterator[scrapy.Request]:
        """Page 1 at ``url`` answered 304: it is checked, and its later pages are asked for."""
        first = self.profile.article_first_page(url)
        if self.schedule is not None:
            self.schedule.checked(first, changed=False)
        if self.state is None:
            return
        number = 2
        later = self.profile.article_page_url(first, number)
        while self.state.capture(later) is not None:
            yield self.requests.later_page_check(later, first)
            number += 1
            later = self.profile.article_page_url(first, number)

    def changed(self, first_url: str) -> scrapy.Request | None:
        """A later page changed: page 1 again, once, the whole article in full."""
        if first_url in self._refetched:
            return None
        self._refetched.add(first_url)
        self.stats.inc_value("incremental/articles/changed_later_page")
        return self.requests.article_again(first_url)

    def unchanged(self, first_url: str, published: str | None) -> None:
        """Every page of the article is what an earlier run archived."""
        if self.schedule is not None:
            self.schedule.checked(first_url, changed=False, published=published_time(published))
