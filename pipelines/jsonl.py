"""Items as JSON Lines under ``items/<run_id>/``, one file per item kind.

Each line goes out in a single ``write`` on an ``O_APPEND`` descriptor, so a kill can cut
the file only between lines; the files are fsynced before every state commit and when the
spider closes. Once an article's line is written, its version goes to the state with the
place in the file it reached (the state follows the file, never leads it). A resumed run
appends to the same files: a line cut by a kill is removed first, and an item already
written by this run (a section by URL, an article by URL and version) is not written again.
"""

from __future__ import annotations

import errno
import json
import logging
import os
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from archive.layout import ITEM_FILES
from crawler.incremental.recheck import RecheckSchedule, published_time
from crawler.items import ArticleItem, ItemNotWritten, SectionItem, content_key, item_line
from crawler.keys import url_key
from crawler.resume import killpoints
from crawler.run.context import RunContext
from crawler.run.diskfull import record_write_failure
from crawler.run.owner import run_of
from crawler.state.records import Version, item_source
from crawler.state.store import CaptureState

FILES = {ArticleItem: ITEM_FILES["articles"], SectionItem: ITEM_FILES["sections"]}
logger = logging.getLogger(__name__)


def written_key(kind: type, data: dict[str, Any]) -> bytes:
    """What makes an item the same item within a run: a section's URL, an article's URL and
    version (a resumed run may find an article changed since the killed run exported it)."""
    if kind is ArticleItem:
        return url_key(kind.__name__, data["url"], str(data.get("version")))
    return url_key(kind.__name__, data["url"])


def repair_and_read(path: Path) -> list[dict[str, Any]]:
    """Cut a line left half-written by a kill, and read the whole lines."""
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with path.open("r+b") as fh:
            fh.truncate(end)
            fh.flush()
            os.fsync(fh.fileno())
    items = []
    for line in data[:end].splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and "url" in item:
            items.append(item)
    return items


class JsonLinesExportPipeline:
    def __init__(
        self,
        items_dir: Path,
        stats: Any = None,
        state: CaptureState | None = None,
        run_id: str = "",
        schedule: RecheckSchedule | None = None,
    ) -> None:
        self.items_dir = items_dir
        self.stats = stats
        self.state = state
        self.run_id = run_id
        self.schedule = schedule
        self.crawler: Any = None
        self.run: RunContext | None = None
        self._write_error: OSError | None = None
        self._fds: dict[type, int] = {}
        self._written: set[bytes] = set()  # written_key of every item on disk
        if state is not None:
            state.sync_hooks.append(self.sync)

    @classmethod
    def from_crawler(cls, crawler: Any) -> JsonLinesExportPipeline:
        if crawler.settings.getbool("ARCHIVE_READ_ONLY"):
            raise NotConfigured("a debugging command exports no items")
        run = run_of(crawler)
        ctx = run.context
        # A full disk may leave no room for the state (None): the WARC capture stops the run.
        pipeline = cls(ctx.layout.items_dir(ctx.run_id), crawler.stats, run.state, ctx.run_id,
                       run.schedule)
        pipeline.crawler = crawler
        pipeline.run = ctx
        return pipeline

    def open_spider(self) -> None:
        self.items_dir.mkdir(parents=True, exist_ok=True)
        for kind, name in FILES.items():
            path = self.items_dir / name
            if path.exists():
                for data in repair_and_read(path):
                    self._written.add(written_key(kind, data))

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
        data = ItemAdapter(item).asdict()
        key = written_key(kind, data)
        if key in self._written:
            if self.stats is not None:
                self.stats.inc_value("items/already_written")
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
            raise ItemNotWritten(f"not written: {exc}") from exc
        killpoints.reached("item_line")
        self._written.add(key)
        if self.stats is not None:
            self.stats.inc_value(f"items/exported/{FILES[kind].removesuffix('.jsonl')}")
        if kind is ArticleItem and self.stats is not None:
            new = (data.get("version") or 1) == 1
            self.stats.inc_value(f"incremental/articles/{'new' if new else 'changed'}")
        if kind is ArticleItem and self.state is not None:
            path = self.items_dir / FILES[kind]
            version = Version(data["version"] or 1, self.run_id, content_key(data))
            folded = (item_source(path, self.items_dir.parent), before + len(line))
            written = self.state.record_version(data["url"], version, folded)
            written.add_done_callback(self._check_state_write)
        if kind is ArticleItem and self.schedule is not None:
            self.schedule.checked(data["url"], changed=True,
                                  published=published_time(data.get("published")))
        return item

    def _check_state_write(self, future: Any) -> None:
        """Runs on the state thread: SQLite's "database or disk is full" ends the run too."""
        exc = future.exception()
        if exc is not None and self.state is not None and self.crawler is not None:
            record_write_failure(self.run, self.crawler, exc, self.state.path,
                                 "state_write_error")

    def sync(self) -> None:
        """Make the lines written so far durable (the state thread calls it before a commit)."""
        for fd in list(self._fds.values()):
            try:
                os.fsync(fd)
            except OSError:
                continue  # closed meanwhile: close_spider synced it

    def _failed(self, kind: type, exc: OSError) -> None:
        """A full disk or a read-only directory ends the run, with one clear error."""
        if self._write_error is None:
            self._write_error = exc
            what = f"Cannot write items to {self.items_dir / FILES[kind]}; stopping the crawl"
            if self.crawler is not None:
                # The first failed write of the run names the disk; later ones are warnings.
                record_write_failure(self.run, self.crawler, exc, self.items_dir / FILES[kind],
                                     "items_write_error")
            else:
                logger.error("%s: %s", what, exc)

    def close_spider(self) -> None:
        for fd in self._fds.values():
            os.fsync(fd)
            os.close(fd)
        self._fds.clear()
