"""Maintenance pages: recognised by what the page is, kept out, retried later.

The notice ``网站维护中`` alone proves nothing (real articles show it as a header banner);
a maintenance page is one whose whole content is the notice. Such a response is never
archived (the capture filter), never parsed (this middleware swallows it), and its URL is
retried with back-off without holding a download slot. URLs still down at the end are
named in the report and handed to the next run, which tries them first.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from archive.durable import replaced_atomically
from crawler.config import FromSettings, default, setting
from crawler.extraction.conventions import first_text as _first_text
from crawler.extraction.page import ParsedPage, parse_html
from crawler.fetching.compression import decode
from crawler.fetching.deferral import (
    Deferrals,
    RequestDeferred,
    backoff,
    is_robots,
    retry_after_seconds,
)
from crawler.profile import SiteProfile, site_profile
from crawler.resume.job import callback_name
from crawler.run.context import RunContext
from crawler.run.owner import run_of

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
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


def _decoded_body(body: bytes, content_encoding: bytes | None) -> bytes | None:
    """The body decoded as the crawl decodes it; None when it does not decode, or grows
    past a maintenance page's size."""
    try:
        raw, kept = decode(body, [content_encoding] if content_encoding else [],
                           _MAX_MAINTENANCE_SIZE)
    except Exception:  # noqa: BLE001 - too large or broken: not a maintenance page
        return None
    return None if any(c != b"identity" for c in kept) else raw


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
    raw = _decoded_body(body, content_encoding)
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
    cached = request.meta.get(META_IS_MAINTENANCE)
    if cached is not None and cached[0] == id(response):
        return cached[1]
    content_type = response.headers.get(b"Content-Type")
    verdict = classify_maintenance(
        response.body,
        response.url,
        content_type.decode("latin-1") if content_type else None,
        response.headers.get(b"Content-Encoding"),
        profile,
    )
    request.meta[META_IS_MAINTENANCE] = (id(response), verdict)
    return verdict


@dataclass(frozen=True)
class MaintenanceConfig(FromSettings):
    retry_times: int = setting("DEDUP_MAINTENANCE_RETRY_TIMES")
    retry_delay: float = setting("DEDUP_MAINTENANCE_RETRY_DELAY")
    max_delay: float = setting("DEDUP_MAINTENANCE_MAX_DELAY")
    max_wait: float = setting("DEDUP_MAINTENANCE_MAX_WAIT")

    def __post_init__(self) -> None:
        if min(self.retry_times, self.retry_delay, self.max_delay, self.max_wait) < 0:
            raise ValueError(f"DEDUP_MAINTENANCE_* must not be negative: {self}")

    def delay(self, attempt: int, retry_after: float | None) -> float:
        return backoff(self.retry_delay, attempt, self.max_delay, retry_after)


def load_pending(state_dir: Path, name: str = STATE_FILE) -> list[dict[str, str]]:
    """URLs an earlier run handed on (in maintenance, or failed): asked first by this one."""
    path = state_dir / name
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        logger.warning("Ignoring unreadable %s: %s", path, exc)
        return []
    return [e for e in data.get("urls", []) if isinstance(e, dict) and e.get("url")]


def save_pending(state_dir: Path, entries: list[dict[str, str]], name: str = STATE_FILE) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    # A full disk leaves the old file, and no temporary file.
    with replaced_atomically(state_dir / name) as tmp:
        tmp.write_text(json.dumps({"urls": entries}, ensure_ascii=False, indent=1), "utf-8")


class MaintenanceMiddleware:
    """Downloader middleware: swallow maintenance responses and reschedule their URLs."""

    def __init__(
        self,
        config: MaintenanceConfig,
        stats: Any,
        deferrals: Deferrals,
        state_dir: Path | None = None,
        *,
        profile: SiteProfile,
    ) -> None:
        self.config = config
        self.stats = stats
        self.deferrals = deferrals
        # Once only URLs in maintenance are left, the run waits for them this long at most.
        deferrals.max_idle_wait[DEFERRAL_KIND] = config.max_wait
        self.state_dir = state_dir
        self.profile = profile
        self.run: RunContext | None = None  # set by from_crawler: the report names what is left
        self.unresolved: dict[str, str] = {}  # url -> callback name
        self._waiting: set[str] = set()
        self._logged = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MaintenanceMiddleware:
        if not crawler.settings.getbool("DEDUP_ENABLED", default("DEDUP_ENABLED")):
            raise NotConfigured("DEDUP_ENABLED is off")
        config = MaintenanceConfig.from_settings(crawler.settings)  # ValueError: a bad setting
        run = run_of(crawler)
        ctx = run.context
        read_only = crawler.settings.getbool("ARCHIVE_READ_ONLY")
        mw = cls(config, crawler.stats, run.deferrals,
                 None if read_only else ctx.layout.state_dir,
                 profile=site_profile(crawler.settings))
        mw.run = ctx
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    async def process_response(self, request: Request, response: Response) -> Any:
        if not is_maintenance_response(request, response, self.profile):
            if request.meta.get(META_ATTEMPT):
                self.stats.inc_value("dedup/maintenance/recovered")
                self._waiting.discard(request.url)
                self.deferrals.note_progress()
            return response
        self.stats.inc_value("dedup/maintenance/seen")
        attempt = request.meta.get(META_ATTEMPT, 0) + 1
        if not self._logged:
            logger.info("Maintenance page at %s; retrying such URLs later", response.url)
            self._logged = True
        if attempt > self.config.retry_times:
            self.stats.inc_value("dedup/maintenance/unresolved")
            self._waiting.discard(request.url)
            self.unresolved[request.url] = callback_name(request)
            logger.warning("Still in maintenance after %d tries: %s", attempt - 1, request.url)
            raise MaintenanceUnresolved(f"still in maintenance: {request.url}")
        retry_after = retry_after_seconds(response.headers.get(b"Retry-After"))
        delay = self.config.delay(attempt, retry_after)
        retry = request.replace(dont_filter=True)
        retry.meta[META_ATTEMPT] = attempt
        retry.meta.pop(META_IS_MAINTENANCE, None)
        self.stats.inc_value("dedup/maintenance/deferred")
        if is_robots(request):
            await self.deferrals.wait(delay)
            return retry
        self._waiting.add(request.url)
        self.deferrals.schedule(retry, delay, DEFERRAL_KIND)
        raise MaintenanceDeferred(f"in maintenance, retry in {delay:.0f}s: {request.url}")

    def spider_closed(self) -> None:
        for request in self.deferrals.cancel_all():
            # The run ends before the retry came due: the next run tries it first.
            if request.url in self._waiting:
                self.unresolved[request.url] = callback_name(request)
                self.stats.inc_value("dedup/maintenance/unresolved")
        run = self.run
        if self.state_dir is not None:
            entries = [{"url": u, "callback": cb} for u, cb in sorted(self.unresolved.items())]
            try:
                save_pending(self.state_dir, entries)
            except OSError as exc:
                if run is None:
                    raise
                run.log_write_failure(logger, "Could not save the URLs left in maintenance", exc)
        if run is not None:
            run.summary.maintenance_unresolved = sorted(self.unresolved)

