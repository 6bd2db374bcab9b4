"""Number the versions of an article across runs (1 = first capture)."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import NotConfigured

from crawler.items import ArticleItem
from crawler.run import RunContext, run_context
from crawler.state import CaptureState


class ArticleVersionPipeline:
    def __init__(self, state: CaptureState, run_id: str, stats: Any = None) -> None:
        self.state = state
        self.run_id = run_id
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArticleVersionPipeline:
        if crawler.settings.getbool("ARCHIVE_READ_ONLY"):
            raise NotConfigured("a debugging command numbers no versions")
        ctx: RunContext = run_context(crawler)
        return cls(ctx.capture_state(), ctx.run_id, crawler.stats)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        version, run_id = self.state.version(item.url)
        if run_id != self.run_id:  # a resumed run keeps the number it already gave
            version += 1
            self.state.record_version(item.url, version, self.run_id)
        item.version = version
        if self.stats is not None:
            kind = "new" if version == 1 else "changed"
            self.stats.inc_value(f"incremental/articles/{kind}")
        return item
