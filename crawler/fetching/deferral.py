"""Requests that come back later, without holding a download slot meanwhile.

Scrapy retries at once; a site that is failing or in maintenance needs time. A deferred
request leaves the downloader (its errback sees ``RequestDeferred``, which callbacks ignore),
waits on the reactor's clock, and is crawled again; the spider is kept open while any wait.
``robots.txt`` gates the whole crawl, so it waits in place instead.

A kind of deferral may have a longest idle wait (``max_idle_wait``): once the crawl has
nothing else to do but wait for deferrals of such kinds, it waits at most that long and then
closes; whoever deferred them names them at ``spider_closed`` (``cancel_all``). A
maintenance page answering ``Retry-After: 999999`` held a finished run open for hours.
"""

from __future__ import annotations

import email.utils
import logging
from datetime import UTC, datetime
from time import monotonic
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

class RequestDeferred(IgnoreRequest):
    """The same request comes back later; callbacks and errbacks do nothing with this one."""


def retry_after_seconds(value: bytes | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff(base: float, attempt: int, cap: float, retry_after: float | None = None) -> float:
    """Exponential back-off from ``base``; a server's Retry-After wins if longer."""
    delay = base * (2 ** (attempt - 1))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, cap)


def is_robots(request: Request) -> bool:
    return bool(request.meta.get("dont_obey_robotstxt")) and request.url.endswith("/robots.txt")


class Deferrals:
    """The run's pending delayed requests, of every component (made by crawler/run/owner.py)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        # url -> (IDelayedCall, request, kind)
        self.pending: dict[str, tuple[Any, Request, str]] = {}
        # kind -> seconds the crawl may sit idle waiting for nothing but such deferrals
        self.max_idle_wait: dict[str, float] = {}
        self._idle_since: float | None = None
        self.clock = monotonic
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    def schedule(self, request: Request, delay: float, kind: str = "retry") -> None:
        from twisted.internet import reactor

        def fire() -> None:
            self.pending.pop(request.url, None)
            if self.crawler.engine is not None:
                self.crawler.engine.crawl(request)

        previous = self.pending.pop(request.url, None)
        if previous is not None and previous[0].active():
            previous[0].cancel()
        self.pending[request.url] = (reactor.callLater(delay, fire), request, kind)

    def note_progress(self) -> None:
        """Something came back to life: an idle wait starts afresh."""
        self._idle_since = None

    async def wait(self, delay: float) -> None:
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))

    def cancel_all(self) -> list[Request]:
        """Stop waiting (the run is closing); the requests that never came back."""
        left = []
        for call, request, _kind in self.pending.values():
            if call.active():
                call.cancel()
            left.append(request)
        self.pending.clear()
        return left

    def spider_idle(self) -> None:
        if not self.pending:
            return
        limits = [self.max_idle_wait.get(kind) for _call, _req, kind in self.pending.values()]
        if None in limits:  # a kind that is waited for as long as it takes
            self._idle_since = None
            raise DontCloseSpider("deferred retries pending")
        now = self.clock()
        if self._idle_since is None:
            self._idle_since = now
        limit = min(limit for limit in limits if limit is not None)
        if now - self._idle_since < limit:
            raise DontCloseSpider("deferred retries pending")
        kinds = sorted({kind for _call, _req, kind in self.pending.values()})
        logger.warning("Nothing left but %d deferred requests (%s); waited %.0fs, closing",
                       len(self.pending), ", ".join(kinds), now - self._idle_since)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("deferrals/gave_up_waiting", len(self.pending))
