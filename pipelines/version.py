"""Number the versions of an article across runs (1 = first capture), by content.

A new version is made only when the article's own content (``crawler.items.CONTENT_FIELDS``)
differs from its newest version's (``crawler.items.next_version``, the rule re-extraction
numbers versions by too): a sidebar, a related-articles box or a counter that
changes on every page of the site makes none. The comparison is with the state, not with
memory, so it holds across runs and across a kill: an article whose item a killed run had
already written is not written again when the resumed run fetches it once more.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem, NotConfigured

from crawler.incremental.recheck import RecheckSchedule, published_time
from crawler.items import ArticleItem, content_key, next_version
from crawler.run.owner import run_of
from crawler.state.store import CaptureState


class UnchangedContent(DropItem):
    """The article's content is its newest version's: nothing new to export."""

    def __init__(self, url: str) -> None:
        super().__init__(f"content unchanged since its newest version: {url}", "DEBUG")


class ArticleVersionPipeline:
    def __init__(
        self, state: CaptureState, stats: Any = None, schedule: RecheckSchedule | None = None
    ) -> None:
        self.state = state
        self.stats = stats
        self.schedule = schedule

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArticleVersionPipeline:
        if crawler.settings.getbool("ARCHIVE_READ_ONLY"):
            raise NotConfigured("a debugging command numbers no versions")
        run = run_of(crawler)
        if run.state is None:
            raise NotConfigured("no state database (the WARC capture stops the run)")
        return cls(run.state, crawler.stats, run.schedule)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        newest = self.state.version(item.url)
        number = next_version(newest.number, newest.content, content_key(vars(item)))
        if number is None:
            if self.stats is not None:
                self.stats.inc_value("incremental/articles/unchanged_content")
            if self.schedule is not None:
                self.schedule.checked(item.url, changed=False,
                                      published=published_time(item.published))
            raise UnchangedContent(item.url)
        # Recorded by the exporter once the line is on disk: the state never gets ahead.
        item.version = number
        return item
