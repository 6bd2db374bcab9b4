"""Items as JSON Lines under ``items/<run_id>/``, one file per item kind.

Each line goes out in a single ``write`` on an ``O_APPEND`` descriptor, so a kill can cut
the file only between lines; the files are fsynced when the spider closes. A resumed run
appends to the same files: a line cut by a kill is removed first, and an item already
written by this run is not written again.
"""

from __future__ import annotations

import errno
import json
import logging
import os
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from crawler.diskfull import record_write_failure
from crawler.items import ArticleItem, SectionItem
from crawler.keys import url_key
from crawler.run import run_context

FILES = {ArticleItem: "articles.jsonl", SectionItem: "sections.jsonl"}
logger = logging.getLogger(__name__)


def repair_and_read_urls(path: Path) -> list[str]:
    """Cut a line left half-written by a kill, and list the urls of the whole lines."""
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with path.open("r+b") as fh:
            fh.truncate(end)
            fh.flush()
            os.fsync(fh.fileno())
    urls = []
    for line in data[:end].splitlines():
        try:
            urls.append(json.loads(line)["url"])
        except (ValueError, KeyError, TypeError):
            continue
    return urls


def item_line(item: Any) -> bytes:
    data = ItemAdapter(item).asdict()
    if not data.get("problems"):
        data.pop("problems", None)
    return (json.dumps(data, ensure_ascii=False, separators=(", ", ": ")) + "\n").encode("utf-8")


class JsonLinesExportPipeline:
    def __init__(self, items_dir: Path, stats: Any = None, inflight: Any = None) -> None:
        self.items_dir = items_dir
        self.stats = stats
        self.inflight = inflight
        self.crawler: Any = None
        self._write_error: OSError | None = None
        self._fds: dict[type, int] = {}
        self._written: set[bytes] = set()  # url_key(kind, url) of every item on disk

    @classmethod
    def from_crawler(cls, crawler: Any) -> JsonLinesExportPipeline:
        ctx = run_context(crawler)
        pipeline = cls(ctx.layout.items_dir(ctx.run_id), crawler.stats, ctx.inflight)
        pipeline.crawler = crawler
        return pipeline

    def open_spider(self) -> None:
        self.items_dir.mkdir(parents=True, exist_ok=True)
        for kind, name in FILES.items():
            path = self.items_dir / name
            if path.exists():
                for url in repair_and_read_urls(path):
                    self._written.add(url_key(kind.__name__, url))

    def _fd(self, kind: type) -> int:
        fd = self._fds.get(kind)
        if fd is None:
            path = self.items_dir / FILES[kind]
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            self._fds[kind] = fd
        return fd

    def process_item(self, item: Any) -> Any:
        kind = type(item)
        if kind not in FILES:
            return item
        key = url_key(kind.__name__, item.url)
        if key in self._written:
            if self.stats is not None:
                self.stats.inc_value("items/already_written")
            self._mark_done(item)
            return item
        line = item_line(item)
        fd = self._fd(kind)
        before = os.lseek(fd, 0, os.SEEK_END)
        try:
            written = os.write(fd, line)
            if written != len(line):
                raise OSError(errno.ENOSPC, "short write")
        except OSError as exc:
            os.ftruncate(fd, before)  # never leave half a line
            self._failed(kind, exc)
            raise DropItem(f"not written: {exc}") from exc
        self._written.add(key)
        if self.stats is not None:
            self.stats.inc_value(f"items/exported/{FILES[kind].removesuffix('.jsonl')}")
        self._mark_done(item)
        return item

    def _failed(self, kind: type, exc: OSError) -> None:
        """A full disk or a read-only directory ends the run, with one clear error."""
        if self._write_error is None:
            self._write_error = exc
            ctx = run_context(self.crawler) if self.crawler is not None else None
            what = f"Cannot write items to {self.items_dir / FILES[kind]}; stopping the crawl"
            if ctx is not None:
                # The first failed write of the run names the disk; later ones are warnings.
                record_write_failure(self.crawler, exc, self.items_dir / FILES[kind],
                                     "items_write_error")
            else:
                logger.error("%s: %s", what, exc)

    def _mark_done(self, item: Any) -> None:
        """The item is on disk: the requests that made it are finished work."""
        if self.inflight is None:
            return
        for url in getattr(item, "pages", None) or [item.url]:
            self.inflight.done(url)

    def close_spider(self) -> None:
        for fd in self._fds.values():
            os.fsync(fd)
            os.close(fd)
        self._fds.clear()
