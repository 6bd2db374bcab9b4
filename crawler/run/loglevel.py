"""Apply LOG_LEVEL at Scrapy's loggers, not only at the handler."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import NotConfigured


class LoggerLevel:
    """Scrapy filters DEBUG lines at its log handler, after a record was built for each one
    (two a page, a few percent of the crawl's CPU); at the logger nothing is built."""

    def __init__(self, level: int) -> None:
        logging.getLogger("scrapy").setLevel(level)

    @classmethod
    def from_crawler(cls, crawler: Any) -> LoggerLevel:
        level = logging.getLevelName(str(crawler.settings.get("LOG_LEVEL")).upper())
        if not isinstance(level, int) or level <= logging.DEBUG:
            raise NotConfigured("LOG_LEVEL is DEBUG: every record is wanted")
        return cls(level)
