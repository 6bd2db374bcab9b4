"""Items as JSON Lines under ``items/<run_id>/``, one file per item kind.

Each line goes out in a single ``write`` on an ``O_APPEND`` descriptor, so a kill can cut
the file only between lines; the files are fsynced when the spider closes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter

from crawler.items import ArticleItem, SectionItem
from crawler.run import run_context

FILES = {ArticleItem: "articles.jsonl", SectionItem: "sections.jsonl"}


def item_line(item: Any) -> bytes:
    data = ItemAdapter(item).asdict()
    if not data.get("problems"):
        data.pop("problems", None)
    return (json.dumps(data, ensure_ascii=False, separators=(", ", ": ")) + "\n").encode("utf-8")


class JsonLinesExportPipeline:
    def __init__(self, items_dir: Path, stats: Any = None) -> None:
        self.items_dir = items_dir
        self.stats = stats
        self._fds: dict[type, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> JsonLinesExportPipeline:
        ctx = run_context(crawler)
        return cls(ctx.layout.items_dir(ctx.run_id), crawler.stats)

    def open_spider(self) -> None:
        self.items_dir.mkdir(parents=True, exist_ok=True)

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
        line = item_line(item)
        written = os.write(self._fd(kind), line)
        if written != len(line):
            raise OSError(f"short write to {self.items_dir / FILES[kind]}")
        if self.stats is not None:
            self.stats.inc_value(f"items/exported/{FILES[kind].removesuffix('.jsonl')}")
        return item

    def close_spider(self) -> None:
        for fd in self._fds.values():
            os.fsync(fd)
            os.close(fd)
        self._fds.clear()
