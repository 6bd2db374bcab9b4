"""Links that every page repeats, and links that lead nowhere but deeper into a trap.

The spider tags each request with the block of the page its link sat in (``dedup/block``:
a structural key and a fingerprint of the block's link set). A block is template when the
site profile names it (header, nav, sidebars, footer) or when the same link set has been
seen on ``DEDUP_TEMPLATE_MIN_PAGES`` pages. Template links are scheduled once per crawl:
after that they are dropped before they become requests, so the sidebar's 20 links do not
come back from every one of 20,000 pages.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

META_BLOCK = "dedup/block"
PROFILE_PREFIX = "profile:"


@dataclass(frozen=True)
class LinkDedupConfig:
    template_min_pages: int
    max_query_variants: int
    max_path_segments: int

    @classmethod
    def from_settings(cls, settings: Any) -> LinkDedupConfig:
        config = cls(
            template_min_pages=settings.getint("DEDUP_TEMPLATE_MIN_PAGES", 3),
            max_query_variants=settings.getint("DEDUP_MAX_QUERY_VARIANTS", 20),
            max_path_segments=settings.getint("DEDUP_MAX_PATH_SEGMENTS", 12),
        )
        if min(config.template_min_pages, config.max_query_variants, config.max_path_segments) < 1:
            raise ValueError(f"DEDUP_* limits must be at least 1: {config}")
        return config


class TrapGuard:
    """Bounds what no profile foresaw: endless query variants, endlessly deep paths."""

    def __init__(self, max_query_variants: int, max_path_segments: int) -> None:
        self.max_query_variants = max_query_variants
        self.max_path_segments = max_path_segments
        self._queries: defaultdict[str, set[str]] = defaultdict(set)

    def verdict(self, url: str) -> str | None:
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) > self.max_path_segments:
            return "path_depth"
        if segments and max(Counter(segments).values()) >= 3:
            return "path_repeats"
        if parts.query:
            seen = self._queries[parts.path]
            if parts.query not in seen:
                if len(seen) >= self.max_query_variants:
                    return "query_variants"
                seen.add(parts.query)
        return None


class TemplateLinks:
    """Learns which link blocks are template and remembers what they already scheduled."""

    def __init__(self, min_pages: int) -> None:
        self.min_pages = min_pages
        self._pages_per_block: Counter[tuple[str, str]] = Counter()
        self._counted: set[tuple[str, str, str]] = set()
        self._scheduled: set[str] = set()
        self.learned: set[str] = set()

    def observe(self, page_url: str, key: str, fingerprint: str) -> None:
        marker = (page_url, key, fingerprint)
        if marker in self._counted:
            return
        self._counted.add(marker)
        self._pages_per_block[(key, fingerprint)] += 1
        if self._pages_per_block[(key, fingerprint)] == self.min_pages:
            self.learned.add(key)

    def is_template(self, key: str, fingerprint: str) -> bool:
        if key.startswith(PROFILE_PREFIX):
            return True
        return self._pages_per_block[(key, fingerprint)] >= self.min_pages

    def first_time(self, url: str) -> bool:
        if url in self._scheduled:
            return False
        self._scheduled.add(url)
        return True


class LinkDedupMiddleware(BaseSpiderMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        if not crawler.settings.getbool("DEDUP_ENABLED", True):
            raise NotConfigured("DEDUP_ENABLED is off")
        try:
            config = LinkDedupConfig.from_settings(crawler.settings)
        except ValueError as exc:
            raise NotConfigured(str(exc)) from exc
        self.stats = crawler.stats
        self.templates = TemplateLinks(config.template_min_pages)
        self.traps = TrapGuard(config.max_query_variants, config.max_path_segments)
        self._logged: set[str] = set()

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if response is None:  # start requests
            return request
        trap = self.traps.verdict(request.url)
        if trap is not None:
            self.stats.inc_value(f"dedup/traps/{trap}")
            self._log_once(trap, "Dropping %s (%s); further drops only counted", request.url, trap)
            return None
        block = request.meta.pop(META_BLOCK, None)
        if block is None:
            return request
        key, fingerprint = block
        self.templates.observe(response.url, key, fingerprint)
        if not self.templates.is_template(key, fingerprint):
            return request
        if self.templates.first_time(request.url):
            self.stats.inc_value("dedup/template_links/scheduled")
            return request
        self.stats.inc_value("dedup/template_links/skipped")
        return None

    def _log_once(self, kind: str, msg: str, *args: Any) -> None:
        if kind not in self._logged:
            self._logged.add(kind)
            logger.info(msg, *args)
