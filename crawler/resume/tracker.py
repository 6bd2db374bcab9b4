"""Track each request from the downloader to the end of its work, for resuming after a kill."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from crawler.items import ItemNotWritten
from crawler.resume.job import InflightLog, callback_name
from crawler.run.owner import run_of

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


class JobTracker:
    """Writes the work log's ``+`` lines (and ``x`` for refused copies); ``JobDoneMiddleware``
    writes the ``-`` lines."""

    def __init__(self, log: InflightLog) -> None:
        self.log = log

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JobTracker:
        if crawler.settings.getbool("ARCHIVE_READ_ONLY"):
            raise NotConfigured("a debugging command makes no run to resume")
        log = run_of(crawler).context.inflight  # opened by the run's owner
        if log is None:
            raise NotConfigured("no JOBDIR: this run cannot be resumed")
        ext = cls(log)
        crawler.signals.connect(ext.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(ext.request_dropped, signal=signals.request_dropped)
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
    """A request's work is done once every request its callback yielded is scheduled (and so
    written down as ``+``) and every item it yielded is written (or dropped on purpose).

    Scrapy hands a callback's items to the pipelines while it goes on scheduling the
    callback's later requests, so neither event alone will do: a kill between an item's
    line and the page's last link would otherwise lose that link for good.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.crawler = crawler
        # Built after the extensions: the job tracker's log, if this run can be resumed.
        tracker = crawler.get_extension(JobTracker)
        self.log: InflightLog | None = tracker.log if tracker is not None else None
        # id(response) -> [response, items not finished yet, whole output consumed]
        self._open: dict[int, list[Any]] = {}
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        entry = self._entry(response)
        for output in result:
            if not isinstance(output, Request):
                entry[1] += 1
            yield output
        self._consumed(entry)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        entry = self._entry(response)
        async for output in result:
            if not isinstance(output, Request):
                entry[1] += 1
            yield output
        self._consumed(entry)

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        """An error page (404, ...) or a failed callback: done, as far as this run can tell."""
        self._consumed(self._entry(response))

    def item_scraped(self, item: Any, response: Any) -> None:
        self._item_finished(response)

    def item_dropped(self, item: Any, response: Any, exception: BaseException) -> None:
        if isinstance(exception, ItemNotWritten):
            return  # not done: the resumed run does this work again
        self._item_finished(response)

    def _entry(self, response: Response) -> list[Any]:
        return self._open.setdefault(id(response), [response, 0, False])

    def _item_finished(self, response: Any) -> None:
        entry = self._open.get(id(response))
        if entry is not None and entry[0] is response:
            entry[1] -= 1
            self._maybe_done(entry)

    def _consumed(self, entry: list[Any]) -> None:
        entry[2] = True
        self._maybe_done(entry)

    def _maybe_done(self, entry: list[Any]) -> None:
        response, outstanding, consumed = entry
        if not consumed or outstanding > 0:
            return
        del self._open[id(response)]
        if self.log is not None:
            self.log.done(response.request.url if response.request else response.url)
