"""Conditional requests for what the archive already holds, and requisites' checks counted.

The schedule itself (what is due, what a check found) is ``recheck.py``'s; this middleware
puts ``If-None-Match`` / ``If-Modified-Since`` on a due article or requisite the state has a
capture of, and tells the schedule how a requisite's check came out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from crawler.capture.warc import UNCHANGED
from crawler.incremental.recheck import FULL_FETCH, RecheckSchedule
from crawler.profile import PageKind, SiteProfile, site_profile
from crawler.run.owner import run_of

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

    from crawler.state.store import CaptureState


class IncrementalMiddleware:
    """Conditional headers on what the state has a capture of; requisites' checks counted."""

    def __init__(
        self,
        state: CaptureState,
        stats: Any,
        run_id: str,
        schedule: RecheckSchedule | None = None,
        *,
        profile: SiteProfile,
    ) -> None:
        self.state = state
        self.stats = stats
        self.run_id = run_id
        self.schedule = schedule
        self.profile = profile

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        schedule = run_of(crawler).schedule
        if schedule is None:
            raise NotConfigured("incremental fetching is off (or a debugging command)")
        return cls(schedule.state, crawler.stats, schedule.run_id, schedule,
                   profile=site_profile(crawler.settings))

    def process_response(self, request: Request, response: Any) -> Any:
        kind = self.profile.kind_of(request.url)
        if response.status == 304 and kind is PageKind.ARTICLE:
            if self.profile.article_page_number(request.url) == 1:
                self.stats.inc_value("incremental/articles/not_modified")
        elif (kind is PageKind.REQUISITE and self.schedule is not None
              and response.status in (200, 304)):  # a 304's count is the errback's
            changed = response.status == 200 and not request.meta.get(UNCHANGED)
            self.schedule.checked(request.url, changed=changed, requisite=True)
        return response

    def process_request(self, request: Request) -> None:
        previous = self.state.capture(request.url)
        if previous is None or previous.run_id == self.run_id or request.meta.get(FULL_FETCH):
            return
        kind = self.profile.kind_of(request.url)
        if kind not in (PageKind.ARTICLE, PageKind.REQUISITE):
            return  # hub pages: always in full
        if previous.etag:
            request.headers[b"If-None-Match"] = previous.etag.encode("latin-1")
        if previous.last_modified:
            request.headers[b"If-Modified-Since"] = previous.last_modified.encode("latin-1")
        self.stats.inc_value("incremental/conditional")
