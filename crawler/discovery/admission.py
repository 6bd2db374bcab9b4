"""The admission chain: which links of a page become requests, and which stat says why not.

A link is asked for once, in its canonical form, when it is on the site, not a calendar
trap, not already requested or a template repeat (the link filter, ``crawler/dedup/``), not
a later list page the list walk decides on, and due by the recheck schedule. Decisions only:
the requests themselves are ``requests.py``'s.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

from crawler.dedup.links import LinkFilter
from crawler.incremental.recheck import RecheckSchedule
from crawler.profile import PageKind, SiteProfile


class LinkAdmission:
    """The chain of one run: its link filter and recheck schedule (None: off)."""

    def __init__(
        self, profile: SiteProfile, site_host: str, links: LinkFilter | None,
        schedule: RecheckSchedule | None,
    ) -> None:
        self.profile = profile
        self.site_host = site_host
        self.links = links
        self.schedule = schedule
        # Later pages (`_NN`) of articles linked from anywhere, by page 1: an assembly takes
        # them in even when its own pages' links do not name them all.
        self.later_pages: dict[str, set[str]] = {}

    @property
    def full_sweep(self) -> bool:
        """Every list page is walked and every archived page asked for again."""
        return self.schedule is None or self.schedule.full_sweep

    def admit(
        self,
        url: str,
        page_url: str,
        counts: Counter[str],
        *,
        requisite: bool = False,
        seen: set[str] | None = None,
        block: tuple[str, str] | None = None,
    ) -> tuple[str, PageKind] | None:
        """The URL to request for a link of ``page_url`` and what it is, or None; ``seen``:
        the page's links so far; ``block``: the block (key, fingerprint) it sits in."""
        if not url.startswith(("http://", "https://")):
            return None
        profile = self.profile
        canonical, kind = profile.classify(url)
        if urlsplit(canonical).hostname != self.site_host:
            counts["sznews/links/offsite"] += 1
            return None
        if canonical != url:
            counts["dedup/canonical/skipped"] += 1
        if kind is PageKind.ARTICLE and (profile.article_page_number(url) or 1) > 1:
            # A later page: its article is requested from page 1, and the page itself is
            # remembered for that article's assembly, whatever block linked it.
            self.later_pages.setdefault(canonical, set()).add(profile.canonical_url(url))
        if seen is not None:
            if canonical in seen:
                counts["dedup/in_page/skipped"] += 1
                return None
            seen.add(canonical)
        if kind is PageKind.CALENDAR:
            counts["dedup/calendar/skipped"] += 1
            return None
        if not self.new(canonical, page_url, counts, block):
            return None
        if kind is PageKind.SECTION and not self.full_sweep and (
            profile.list_page_number(canonical) > 1
        ):
            counts["incremental/list_pages/left_to_the_walk"] += 1
            return None
        if kind in (PageKind.ARTICLE, PageKind.REQUISITE) and self.schedule is not None and (
            not self.schedule.due(canonical)
        ):
            counts[f"incremental/{kind.value}s/not_due"] += 1
            return None
        if kind is PageKind.OTHER and not requisite:
            # A same-host page of no kind the profile knows is followed all the same
            # (robots.txt, traps and template repeats still apply): the archive must not
            # depend on the profile foreseeing every page of the site.
            counts["sznews/links/other_followed"] += 1
        return canonical, kind

    def new(
        self, url: str, page_url: str, counts: Counter[str],
        block: tuple[str, str] | None = None,
    ) -> bool:
        """The link filter's word alone (canonical ``url``): not requested yet, no trap."""
        return self.links is None or self.links.admit(url, page_url, block, counts)

    def later_pages_of(self, first_url: str) -> list[str]:
        """Later pages of the article at ``first_url`` linked from anywhere so far."""
        return sorted(self.later_pages.get(first_url, ()))

    def forget(self, first_url: str) -> None:
        """The article is made: its later pages need no remembering."""
        self.later_pages.pop(first_url, None)
