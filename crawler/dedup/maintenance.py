"""Maintenance pages: recognised by what the page is, kept out, retried later.

The notice ``网站维护中`` alone proves nothing (real articles show it as a header banner);
a maintenance page is one whose whole content is the notice. Such a response is never
archived (the capture filter), never parsed (this middleware swallows it), and its URL is
retried with back-off without holding a download slot. URLs still down at the end are
named in the report and handed to the next run, which tries them first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest

from crawler.config import setting
from crawler.dedup import deferring
from crawler.extraction.conventions import first_text as _first_text
from crawler.extraction.page import ParsedPage, parse_html
from crawler.fetching.deferral import RequestDeferred, retry_after_seconds
from crawler.profile import SiteProfile
from crawler.resume.job import callback_name
from crawler.run.context import RunContext

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response

logger = logging.getLogger(__name__)

META_IS_MAINTENANCE = "dedup/maintenance"
META_ATTEMPT = "dedup/maintenance_attempt"
STATE_FILE = "maintenance.json"
DEFERRAL_KIND = "maintenance"
# A maintenance page is a few hundred bytes; anything much larger is a real page.
_MAX_MAINTENANCE_SIZE = 64 * 1024
_TITLE_RE = re.compile(rb"<title[^>]*>([^<]{0,300})</title>", re.IGNORECASE)


class MaintenanceDeferred(RequestDeferred):
    """The page was in maintenance; the same request comes back later."""


class MaintenanceUnresolved(IgnoreRequest):
    """The page stayed in maintenance through every retry."""


def is_maintenance_page(page: ParsedPage, profile: SiteProfile) -> bool:
    """A page whose whole content is the maintenance notice.

    The notice alone proves nothing: real articles carry it as a header banner. A
    maintenance page has the notice as its title and no site structure at all.
    """
    if page.tree is None:
        return False
    title = _first_text(page, profile.maintenance_title_xpath) or ""
    if profile.maintenance_notice not in title:
        return False
    has_structure = any(page.xpath(q) for q in profile.template_blocks) or any(
        page.xpath(t.marker) for t in profile.templates
    )
    return not has_structure


def classify_maintenance(
    body: bytes,
    url: str,
    content_type: str | None,
    content_encoding: bytes | None,
    profile: SiteProfile,
) -> bool:
    """True when the response is a maintenance page (whole page is the notice)."""
    if len(body) > _MAX_MAINTENANCE_SIZE:
        return False
    raw = deferring.decoded_within(body, content_encoding, _MAX_MAINTENANCE_SIZE)
    if raw is None:
        return False
    notice = profile.maintenance_notice
    title = _TITLE_RE.search(raw)
    if title is None or not any(
        notice.encode(encoding) in title.group(1) for encoding in ("gb18030", "utf-8")
    ):
        return False  # a real page: the notice, if any, is only its header banner
    return is_maintenance_page(parse_html(raw, url, content_type), profile)


def is_maintenance_response(request: Request, response: Response, profile: SiteProfile) -> bool:
    """Classify once per response; the verdict rides on the request's meta."""
    return deferring.classify_once(request, response, profile, META_IS_MAINTENANCE,
                                   classify_maintenance)


@dataclass(frozen=True)
class MaintenanceConfig(deferring.DeferralConfig):
    retry_times: int = setting("DEDUP_MAINTENANCE_RETRY_TIMES")
    retry_delay: float = setting("DEDUP_MAINTENANCE_RETRY_DELAY")
    max_delay: float = setting("DEDUP_MAINTENANCE_MAX_DELAY")
    max_wait: float = setting("DEDUP_MAINTENANCE_MAX_WAIT")


class MaintenanceMiddleware(deferring.DeferringMiddleware):
    """Downloader middleware: swallow maintenance responses and reschedule their URLs."""

    STATS = "dedup/maintenance"
    META_ATTEMPT = META_ATTEMPT
    META_VERDICT = META_IS_MAINTENANCE
    DEFERRAL_KIND = DEFERRAL_KIND
    STATE_FILE = STATE_FILE
    SAVE_FAILED = "Could not save the URLs left in maintenance"
    DEFERRED_TEXT = "in maintenance"
    UNRESOLVED_TEXT = "still in maintenance"
    Deferred = MaintenanceDeferred
    Unresolved = MaintenanceUnresolved
    CONFIG = MaintenanceConfig
    ROBOTS_WAIT_IN_PLACE = True

    def is_bad(self, request: Request, response: Response) -> bool:
        return is_maintenance_response(request, response, self.profile)

    def note_bad(self, request: Request, response: Response) -> None:
        if not self._logged:
            logger.info("Maintenance page at %s; retrying such URLs later", response.url)
            self._logged = True

    def note_unresolved(self, request: Request, attempts: int) -> None:
        logger.warning("Still in maintenance after %d tries: %s", attempts, request.url)

    def retry_after(self, response: Response) -> float | None:
        return retry_after_seconds(response.headers.get(b"Retry-After"))

    def left_waiting(self) -> Iterable[tuple[str, str]]:
        # Every pending deferral is cancelled here, the other components' included.
        for request in self.deferrals.cancel_all():
            if request.url in self._waiting:
                yield request.url, callback_name(request)

    def report(self, run: RunContext) -> None:
        run.summary.maintenance_unresolved = sorted(self.unresolved)
