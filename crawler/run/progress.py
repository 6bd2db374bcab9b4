"""A progress line every few seconds: pages, articles, queue, rate, errors."""

from __future__ import annotations

import logging
from time import monotonic
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.config import default

logger = logging.getLogger("progress")


def progress_line(
    stats: dict[str, Any], queued: int, elapsed: float, last: tuple[float, int]
) -> str:
    pages = stats.get("response_received_count", 0)
    articles = stats.get("items/exported/articles", 0) or stats.get("sznews/articles", 0)
    errors = sum(v for k, v in stats.items() if k.startswith("downloader/exception_type_count/"))
    errors += stats.get("log_count/ERROR", 0)
    then, then_pages = last
    rate = (pages - then_pages) / (elapsed - then) if elapsed > then else 0.0
    return (
        f"pages {pages}  articles {articles}  queue {queued}  "
        f"{rate:.1f} pages/s  errors {errors}  elapsed {elapsed:.0f}s"
    )


class Progress:
    def __init__(self, interval: float, crawler: Any) -> None:
        self.interval = interval
        self.crawler = crawler
        self._task: task.LoopingCall | None = None
        self._started = monotonic()
        self._last = (0.0, 0)

    @classmethod
    def from_crawler(cls, crawler: Any) -> Progress:
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL", default("PROGRESS_INTERVAL"))
        if interval <= 0:
            raise NotConfigured("PROGRESS_INTERVAL is 0: no progress lines")
        ext = cls(interval, crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        self._started = monotonic()
        self._task = task.LoopingCall(self.log)
        self._task.start(self.interval, now=False)

    def log(self) -> None:
        engine = self.crawler.engine
        scheduler = getattr(engine, "scheduler", None) if engine else None
        try:
            queued = len(scheduler) if scheduler is not None else 0
        except TypeError:
            queued = 0
        elapsed = monotonic() - self._started
        stats = self.crawler.stats.get_stats()
        logger.info(progress_line(stats, queued, elapsed, self._last))
        self._last = (elapsed, stats.get("response_received_count", 0))

    def spider_closed(self) -> None:
        if self._task is not None and self._task.running:
            self._task.stop()
