"""Scrapy's retries, with back-off and ``Retry-After``.

Scrapy's RetryMiddleware asks again at once; an old CMS that answers 500 or resets
connections under load needs a pause, and a 503 names its own. This subclass keeps Scrapy's
rules (which statuses and exceptions, ``RETRY_TIMES``, ``dont_retry``, give-up logging and
stats) and only changes when the retry goes out: after ``RETRY_BACKOFF_BASE`` seconds,
doubled each try up to ``RETRY_BACKOFF_MAX``, or the server's ``Retry-After`` if longer.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware

from crawler.config import default
from crawler.fetching.deferral import (
    Deferrals,
    RequestDeferred,
    backoff,
    is_robots,
    retry_after_seconds,
)
from crawler.run.owner import run_of

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


class RetryDeferred(RequestDeferred):
    """A failed fetch; the same request comes back after a back-off."""


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", default("RETRY_BACKOFF_BASE"))
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", default("RETRY_BACKOFF_MAX"))
        if self.base < 0 or self.cap < 0:
            raise ValueError("RETRY_BACKOFF_BASE and RETRY_BACKOFF_MAX must not be negative")
        self.deferrals: Deferrals | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        mw = super().from_crawler(crawler)
        mw.deferrals = run_of(crawler).deferrals
        return mw

    async def process_response(self, request: Request, response: Response) -> Any:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, f"{response.status} response")
        if retry is None:
            return response
        delay = self._delay(retry, response.headers.get(b"Retry-After"))
        return await self._later(retry, delay)

    async def process_exception(self, request: Request, exception: Exception) -> Any:
        if request.meta.get("dont_retry", False) or not isinstance(
            exception, self.exceptions_to_retry
        ):
            return None
        retry = self._retry(request, exception)
        if retry is None:
            return None
        return await self._later(retry, self._delay(retry, None))

    def _delay(self, retry: Request, retry_after: bytes | None) -> float:
        attempt = retry.meta.get("retry_times", 1)
        return backoff(self.base, attempt, self.cap, retry_after_seconds(retry_after))

    async def _later(self, retry: Request, delay: float) -> Any:
        assert self.deferrals is not None
        if delay <= 0:
            return retry
        self.crawler.stats.inc_value("retry/deferred")
        if is_robots(retry):
            await self.deferrals.wait(delay)
            return retry
        self.deferrals.schedule(retry, delay)
        raise RetryDeferred(f"retry in {delay:.1f}s: {retry.url}")
