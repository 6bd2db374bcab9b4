"""Track each request from the downloader to the end of its work, for resuming after a kill."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from crawler.job import InflightLog, callback_name
from crawler.run import run_context

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


class JobTracker:
    """Writes ``+`` lines of the in-flight log; the spider middleware and the item
    exporter write the ``-`` lines."""

    def __init__(self, log: InflightLog) -> None:
        self.log = log

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JobTracker:
        jobdir = crawler.settings.get("JOBDIR")
        if not jobdir or crawler.settings.getbool("ARCHIVE_READ_ONLY"):
            raise NotConfigured("no JOBDIR: this run cannot be resumed")
        ctx = run_context(crawler)
        log = InflightLog(Path(jobdir).parent / "inflight.log")
        ctx.inflight = log
        ext = cls(log)
        crawler.signals.connect(ext.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(ext.request_dropped, signal=signals.request_dropped)
        ctx.on_close("inflight log", log.close)
        return ext

    def request_scheduled(self, request: Request) -> None:
        if request.callback is None:
            return  # engine-internal requests
        self.log.started(request.url, callback_name(request))

    def request_dropped(self, request: Request) -> None:
        """The scheduler refused this copy (a duplicate); another copy may still be pending."""
        if request.callback is not None:
            self.log.refused(request.url)


class JobDoneMiddleware(BaseSpiderMiddleware):
    """A callback that yielded no item has finished its work once its output is consumed.

    Callbacks that yield items are finished when the item is written (the exporter says
    so), not before: a kill in between must not lose the item.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.crawler = crawler

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        yielded_item = False
        for output in result:
            yielded_item = yielded_item or not isinstance(output, Request)
            yield output
        self._finished(response, yielded_item)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        yielded_item = False
        async for output in result:
            yielded_item = yielded_item or not isinstance(output, Request)
            yield output
        self._finished(response, yielded_item)

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        """An error page (404, ...) or a failed callback: done, as far as this run can tell."""
        self._finished(response, yielded_item=False)

    def _finished(self, response: Response | None, yielded_item: bool) -> None:
        log = run_context(self.crawler).inflight
        if log is not None and not yielded_item and response is not None:
            log.done(response.request.url if response.request else response.url)
