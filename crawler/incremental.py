"""Incremental runs: hub pages in full, archived articles conditionally or not at all.

Hub pages (home, channels, topics, column lists) are how new articles are found, so they are
fetched in full every run. An article or requisite archived by an earlier run is asked for
with ``If-None-Match`` / ``If-Modified-Since``; a 304 becomes a ``server-not-modified``
revisit and no item. ``INCREMENTAL_RECHECK_DAYS`` stops rechecking articles whose URL date
is older than that many days (the site rarely corrects old news).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.profile import SZNEWS, PageKind, SiteProfile
from crawler.run import run_context

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

    from crawler.state import CaptureState

# A request the spider needs in full whatever the state says (later pages of a changed article).
FULL_FETCH = "incremental/full"
_URL_DATE = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/")


class NotRechecked(IgnoreRequest):
    """An archived article past the recheck horizon."""


@dataclass(frozen=True)
class IncrementalConfig:
    enabled: bool
    recheck_days: float | None

    @classmethod
    def from_settings(cls, settings: Any) -> IncrementalConfig:
        days = settings.get("INCREMENTAL_RECHECK_DAYS")
        recheck = None if days in (None, "", "None") else float(days)
        if recheck is not None and recheck < 0:
            raise ValueError(f"INCREMENTAL_RECHECK_DAYS must be >= 0, got {days!r}")
        return cls(settings.getbool("INCREMENTAL_ENABLED", True), recheck)


def url_date(url: str) -> datetime | None:
    m = _URL_DATE.search(urlsplit(url).path)
    if not m:
        return None
    try:
        return datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC)
    except ValueError:
        return None


class IncrementalMiddleware:
    def __init__(
        self,
        config: IncrementalConfig,
        state: CaptureState,
        stats: Any,
        run_id: str,
        profile: SiteProfile = SZNEWS,
        now: datetime | None = None,
    ) -> None:
        self.config = config
        self.state = state
        self.stats = stats
        self.run_id = run_id
        self.profile = profile
        self.now = now or datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        config = IncrementalConfig.from_settings(crawler.settings)  # ValueError: a bad setting
        if not config.enabled:
            raise NotConfigured("INCREMENTAL_ENABLED is off: every run fetches everything")
        if crawler.settings.getbool("ARCHIVE_READ_ONLY"):
            raise NotConfigured("a debugging command fetches pages as they are")
        ctx = run_context(crawler)
        return cls(config, ctx.capture_state(), crawler.stats, ctx.run_id)

    def process_response(self, request: Request, response: Any) -> Any:
        if response.status == 304 and self.profile.article_page_number(request.url) == 1:
            self.stats.inc_value("incremental/articles/unchanged")
        return response

    def process_request(self, request: Request) -> None:
        previous = self.state.capture(request.url)
        if previous is None or previous.run_id == self.run_id or request.meta.get(FULL_FETCH):
            return
        kind = self.profile.kind_of(request.url)
        if kind not in (PageKind.ARTICLE, PageKind.REQUISITE):
            return  # hub pages: always in full
        if kind is PageKind.ARTICLE and self.config.recheck_days is not None:
            published = url_date(request.url)
            horizon = self.now - timedelta(days=self.config.recheck_days)
            if published is not None and published < horizon:
                self.stats.inc_value("incremental/articles/skipped")
                raise NotRechecked(f"archived and older than the recheck horizon: {request.url}")
        if previous.etag:
            request.headers[b"If-None-Match"] = previous.etag.encode("latin-1")
        if previous.last_modified:
            request.headers[b"If-Modified-Since"] = previous.last_modified.encode("latin-1")
        self.stats.inc_value("incremental/conditional")
