"""Pages that are not the site's: a challenge, a login wall, an error page sent with 200.

Their text is not known in advance (every WAF, CDN and login system words it differently), so
they are recognised by what they lack: every page of the site carries its site-wide blocks
(top, nav, sidebar, footer, the profile's ``template_blocks``) and its name, and an article
or section page has its own structure besides. A 200 answer to an article or section URL
with none of these is not the site's page. Like a maintenance page, it is never archived
(the capture filter), never parsed (this middleware swallows it), retried with back-off
during the run, and handed to the next run when it stays so. An article archived before
therefore keeps its last good version: nothing replaces it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.config import setting
from crawler.dedup import deferring
from crawler.extraction.page import ParsedPage, parse_html
from crawler.fetching.deferral import Deferrals, RequestDeferred
from crawler.profile import PageKind, SiteProfile
from crawler.resume.job import callback_name
from crawler.run.context import RunContext

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response

logger = logging.getLogger(__name__)

META_VERDICT = "dedup/notsite"
META_ATTEMPT = "dedup/notsite_attempt"
STATE_FILE = "notsite.json"
DEFERRAL_KIND = "notsite"
CAPTURE_SKIP = "not_site_page"
# A page that names the site is the site's without being parsed (a byte search); only a
# page that does not is parsed for blocks and structure. A body larger than this is taken
# as the site's unread: no challenge or error page is this big.
_MAX_SIZE = 512 * 1024
_CHECKED_KINDS = (PageKind.ARTICLE, PageKind.SECTION)
_ENCODINGS = ("gb18030", "utf-8")


def names_the_site(raw: bytes, profile: SiteProfile) -> bool:
    return any(profile.site_name.encode(enc) in raw for enc in _ENCODINGS)


def has_site_structure(page: ParsedPage, profile: SiteProfile) -> bool:
    """Any site-wide block, any article template, a list of articles or a breadcrumb."""
    if page.tree is None:
        return False
    queries = (*profile.template_blocks, *(t.marker for t in profile.templates),
               profile.list_items, profile.section_breadcrumb)
    return any(page.xpath(q) for q in queries)


def classify_not_site(
    body: bytes,
    url: str,
    content_type: str | None,
    content_encoding: bytes | None,
    profile: SiteProfile,
) -> bool:
    """True when a 200 body of an article or section URL is not a page of the site."""
    raw = deferring.decoded_within(body, content_encoding, _MAX_SIZE)
    if raw is None:
        return False
    if names_the_site(raw, profile):
        return False
    if not raw.strip():
        return True  # an empty 200
    return not has_site_structure(parse_html(raw, url, content_type), profile)


def is_not_site_response(request: Request, response: Response, profile: SiteProfile) -> bool:
    """Classify once per response object; the verdict rides on the request's meta."""
    if response.status != 200 or request.method == "HEAD":
        return False
    if profile.kind_of(response.url) not in _CHECKED_KINDS:
        return False
    return deferring.classify_once(request, response, profile, META_VERDICT, classify_not_site)


def not_site_filter(profile: SiteProfile) -> Any:
    """A WARC capture filter: such pages are never archived."""

    def not_the_site(request: Request, response: Response) -> str | None:
        return CAPTURE_SKIP if is_not_site_response(request, response, profile) else None

    return not_the_site


@dataclass(frozen=True)
class NotSiteConfig(deferring.DeferralConfig):
    enabled: bool = setting("DEDUP_NOTSITE_ENABLED")
    retry_times: int = setting("DEDUP_NOTSITE_RETRY_TIMES")
    retry_delay: float = setting("DEDUP_NOTSITE_RETRY_DELAY")
    max_delay: float = setting("DEDUP_NOTSITE_MAX_DELAY")
    max_wait: float = setting("DEDUP_NOTSITE_MAX_WAIT")


class NotSiteDeferred(RequestDeferred):
    """The answer was not the site's page; the same request comes back later."""


class NotSiteUnresolved(IgnoreRequest):
    """Still not the site's page after every retry: the next run asks first."""


class NotSiteMiddleware(deferring.DeferringMiddleware):
    """Downloader middleware: swallow pages that are not the site's, ask again later."""

    STATS = "dedup/notsite"
    META_ATTEMPT = META_ATTEMPT
    META_VERDICT = META_VERDICT
    DEFERRAL_KIND = DEFERRAL_KIND
    STATE_FILE = STATE_FILE
    SAVE_FAILED = "Could not save the URLs that were not the site's pages"
    DEFERRED_TEXT = "not the site's page"
    UNRESOLVED_TEXT = "not the site's page"
    Deferred = NotSiteDeferred
    Unresolved = NotSiteUnresolved
    CONFIG = NotSiteConfig

    def __init__(self, config: NotSiteConfig, stats: Any, deferrals: Deferrals,
                 state_dir: Path | None, *, profile: SiteProfile) -> None:
        super().__init__(config, stats, deferrals, state_dir, profile=profile)
        self.seen: dict[str, str] = {}  # url -> callback name: every not-the-site URL of the run

    @classmethod
    def check_enabled(cls, config: NotSiteConfig) -> None:
        if not config.enabled:
            raise NotConfigured("DEDUP_NOTSITE_ENABLED is off")

    def is_bad(self, request: Request, response: Response) -> bool:
        return is_not_site_response(request, response, self.profile)

    def note_bad(self, request: Request, response: Response) -> None:
        if request.url not in self.seen:
            self.stats.inc_value("dedup/notsite/urls")
        self.seen[request.url] = callback_name(request)
        if not self._logged:
            logger.warning("Not a page of the site at %s (no site-wide block, no structure); "
                           "such pages are kept out and asked for again", response.url)
            self._logged = True

    def left_waiting(self) -> Iterable[tuple[str, str]]:
        # The maintenance middleware cancels every pending deferral, ours included: what
        # is still waiting is known from our own list.
        return [(url, name) for url, name in self._waiting.items() if url not in self.unresolved]

    def report(self, run: RunContext) -> None:
        run.summary.not_site_pages = sorted(self.seen)[: run.summary.LIMIT]
        run.summary.not_site_unresolved = sorted(self.unresolved)[: run.summary.LIMIT]
