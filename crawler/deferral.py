"""Requests that come back later, without holding a download slot meanwhile.

Scrapy retries at once; a site that is failing or in maintenance needs time. A deferred
request leaves the downloader (its errback sees ``RequestDeferred``, which callbacks ignore),
waits on the reactor's clock, and is crawled again; the spider is kept open while any wait.
``robots.txt`` gates the whole crawl, so it waits in place instead.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

_REGISTRY_ATTR = "_sznews_deferrals"


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
    """One per crawler: the pending delayed requests of every component."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.pending: dict[str, tuple[Any, Request]] = {}  # url -> (IDelayedCall, request)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    @classmethod
    def of(cls, crawler: Crawler) -> Deferrals:
        registry = getattr(crawler, _REGISTRY_ATTR, None)
        if registry is None:
            registry = cls(crawler)
            setattr(crawler, _REGISTRY_ATTR, registry)
        return registry

    def schedule(self, request: Request, delay: float) -> None:
        from twisted.internet import reactor

        def fire() -> None:
            self.pending.pop(request.url, None)
            if self.crawler.engine is not None:
                self.crawler.engine.crawl(request)

        previous = self.pending.pop(request.url, None)
        if previous is not None and previous[0].active():
            previous[0].cancel()
        self.pending[request.url] = (reactor.callLater(delay, fire), request)

    async def wait(self, delay: float) -> None:
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))

    def cancel_all(self) -> list[Request]:
        """Stop waiting (the run is closing); the requests that never came back."""
        left = []
        for call, request in self.pending.values():
            if call.active():
                call.cancel()
            left.append(request)
        self.pending.clear()
        return left

    def spider_idle(self) -> None:
        if self.pending:
            raise DontCloseSpider("deferred retries pending")
