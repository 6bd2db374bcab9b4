"""Replace the Future of an item's WARC record by where the record landed."""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any

from itemadapter import ItemAdapter
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)


def _as_deferred(future: Future) -> Deferred:
    from twisted.internet import reactor

    d: Deferred = Deferred()

    def done(f: Future) -> None:
        exc = f.exception()
        if exc is None:
            reactor.callFromThread(d.callback, f.result())
        else:
            reactor.callFromThread(d.errback, exc)

    future.add_done_callback(done)
    return d


def pointer_from(locations: list[Any]) -> dict[str, Any] | None:
    for loc in locations:
        if loc.warc_type in ("response", "revisit"):
            return {
                "filename": loc.filename,
                "offset": loc.offset,
                "length": loc.length,
                "record_id": loc.record_id,
            }
    return None


class WarcPointerPipeline:
    def __init__(self, stats: Any = None) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> WarcPointerPipeline:
        return cls(crawler.stats)

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        if "warc" not in adapter.field_names():
            return item
        pending = adapter.get("warc")
        if isinstance(pending, Future):
            try:
                locations = await maybe_deferred_to_future(_as_deferred(pending))
            except Exception as exc:  # the write failed (and stopped the crawl); item goes out
                logger.debug("No WARC record for %s: %s", adapter.get("url"), exc)
                adapter["warc"] = None
                adapter["problems"] = [*adapter.get("problems", []), f"warc write failed: {exc}"]
                return item
            adapter["warc"] = pointer_from(locations)
        elif pending is not None and not isinstance(pending, dict):
            adapter["warc"] = None
        if adapter.get("warc") is None and self.stats is not None:
            self.stats.inc_value("items/without_warc_pointer")
        return item
