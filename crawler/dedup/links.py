"""Links that every page repeats, and links that lead nowhere but deeper into a trap.

Every link comes with the block of the page it sat in (a structural key and a fingerprint
of the block's link set). A block is template when the site profile names it (header, nav,
sidebars, footer) or when the same link set has been seen on ``DEDUP_TEMPLATE_MIN_PAGES``
pages. Template links are scheduled once per crawl: after that they are dropped before they
become requests, so the sidebar's 20 links do not come back from every one of 20,000 pages.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from crawler.config import FromSettings, setting
from crawler.keys import url_key

logger = logging.getLogger(__name__)

PROFILE_PREFIX = "profile:"


@dataclass(frozen=True)
class LinkDedupConfig(FromSettings):
    template_min_pages: int = setting("DEDUP_TEMPLATE_MIN_PAGES")
    max_query_variants: int = setting("DEDUP_MAX_QUERY_VARIANTS")
    max_path_segments: int = setting("DEDUP_MAX_PATH_SEGMENTS")

    def __post_init__(self) -> None:
        if min(self.template_min_pages, self.max_query_variants, self.max_path_segments) < 1:
            raise ValueError(f"DEDUP_* limits must be at least 1: {self}")


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
        # Numbers repeat legitimately (dates such as 2010/10/10, image ids split into
        # /0/10/10/10/): only a word that comes back three times is a loop of links.
        words = [s for s in segments if not s.isdigit()]
        if words and max(Counter(words).values()) >= 3:
            return "path_repeats"
        if parts.query:
            seen = self._queries[parts.path]
            if parts.query not in seen:
                if len(seen) >= self.max_query_variants:
                    return "query_variants"
                seen.add(parts.query)
        return None


class TemplateLinks:
    """Learns which link blocks are template, in memory bounded by the pages' structure.

    Per block key (where a block sits in a page) it keeps one candidate link set and a vote,
    a one-slot majority count: the same set on another page adds a vote, a different set
    takes one away and replaces the candidate when none are left. A set with ``min_pages``
    votes is template. A block whose links differ on every page (related articles) never
    gets there and costs one slot, however large the site.
    """

    def __init__(self, min_pages: int) -> None:
        self.min_pages = min_pages
        self._votes: dict[str, tuple[str, int, str]] = {}  # key -> (fingerprint, votes, page)

    def observe(self, page_url: str, key: str, fingerprint: str) -> None:
        if key.startswith(PROFILE_PREFIX):
            return
        current = self._votes.get(key)
        if current is None:
            self._votes[key] = (fingerprint, 1, page_url)
            return
        candidate, votes, last_page = current
        if last_page == page_url:
            return  # one vote a page
        if candidate == fingerprint:
            votes += 1
        elif votes > 1:
            votes -= 1
        else:
            candidate, votes = fingerprint, 1
        self._votes[key] = (candidate, votes, page_url)

    def is_template(self, key: str, fingerprint: str) -> bool:
        if key.startswith(PROFILE_PREFIX):
            return True
        current = self._votes.get(key)
        return current is not None and current[0] == fingerprint and current[1] >= self.min_pages


class LinkFilter:
    """Decides, before a Request is even built, whether a link is worth requesting.

    Built per crawl (``from_crawler``) and asked by the spider for every link: a Request,
    its fingerprint and the spider-middleware chain cost more than the page's parsing, and
    each page repeats ~100 links. Drops are counted by reason; the first of each is logged.
    """

    def __init__(self, config: LinkDedupConfig) -> None:
        self.templates = TemplateLinks(config.template_min_pages)
        self.traps = TrapGuard(config.max_query_variants, config.max_path_segments)
        self._requested: set[bytes] = set()  # url_key of every admitted URL
        self._logged: set[str] = set()

    @classmethod
    def from_settings(cls, settings: Any) -> LinkFilter:
        return cls(LinkDedupConfig.from_settings(settings))

    def admit(
        self, url: str, page_url: str, block: tuple[str, str] | None, counts: Counter[str]
    ) -> bool:
        """True when ``url`` (canonical) should become a request now; ``counts`` gets the
        stat of the decision (the caller adds them to the crawl's stats once per page)."""
        if block is not None:
            self.templates.observe(page_url, *block)
        key = url_key(url)
        if key in self._requested:
            if block is not None and self.templates.is_template(*block):
                counts["dedup/template_links/skipped"] += 1
            else:
                counts["dedup/links/already_requested"] += 1
            return False
        trap = self.traps.verdict(url)
        if trap is not None:
            counts[f"dedup/traps/{trap}"] += 1
            if trap not in self._logged:
                self._logged.add(trap)
                logger.info("Dropping %s (%s); further drops are only counted", url, trap)
            return False
        self._requested.add(key)
        if block is not None and self.templates.is_template(*block):
            counts["dedup/template_links/scheduled"] += 1
        return True
