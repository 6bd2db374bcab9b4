"""The records the crawl exports, as dataclasses (read and written through ItemAdapter)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from hashlib import blake2b
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from crawler.extraction.page import ArticleHead, SectionHead, SectionPage


class ItemNotWritten(DropItem):
    """The item's line could not be written (a full disk): its work is not done."""


@dataclass
class ArticleItem(ArticleHead):
    """An article: page 1's head, and what all its pages hold."""

    body: str
    images: list[dict[str, str | None]]
    pages: list[str]
    related: list[dict[str, str]] = field(default_factory=list)
    fetched: str | None = None
    # 1 for the first capture of the article, n for its n-th changed version.
    version: int | None = None
    # Page 1's response record; a Future until the WARC writer has placed the record.
    warc: dict[str, Any] | Future | None = None
    # The article template that matched page 1, or "text" (read by the site's text
    # conventions: markup no template describes).
    extracted_by: str | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class SectionItem(SectionHead):
    fetched: str | None = None
    warc: dict[str, Any] | Future | None = None
    problems: list[str] = field(default_factory=list)


def fetched_at(began: datetime | None) -> str:
    """An item's ``fetched``: when the fetch of its page began, which is the WARC-Date of the
    page's record (UTC, whole seconds); now, where that is not known."""
    return (began or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def section_item(section: SectionPage, fetched: str | None, warc: Any = None) -> SectionItem:
    head = {f.name: getattr(section, f.name) for f in fields(SectionHead)}
    return SectionItem(**head, fetched=fetched, warc=warc, problems=section.problems)


# What an article is, as opposed to what its page also shows (related links, sidebars,
# counters, the time it was fetched): a new version is made only when one of these changes.
CONTENT_FIELDS = (
    "title", "source", "author", "editor", "published", "breadcrumb", "body", "images", "pages",
)


def content_key(article: Mapping[str, Any]) -> str:
    """A digest of an article's own content (``CONTENT_FIELDS``) as exported."""
    data = json.dumps([article.get(name) for name in CONTENT_FIELDS], ensure_ascii=False,
                      separators=(",", ":"), sort_keys=True)
    return blake2b(data.encode("utf-8"), digest_size=16).hexdigest()


def next_version(newest: int, newest_content: str | None, content: str) -> int | None:
    """The rule of versions, the crawl's (``pipelines/version.py``) and re-extraction's: an
    article whose ``content_key`` is ``content`` is a new version, numbered after its newest
    one (``newest``, 0 for none yet), only when its content differs from that version's
    (``newest_content``); None when it does not, and there is nothing new to export."""
    if newest and newest_content == content:
        return None
    return newest + 1


def item_line(item: Any) -> bytes:
    """An item as one JSON Lines line, exactly as the crawl exports it.

    Here, not in the exporter, because ``scrapy reextract`` must write the same bytes and
    ``crawler/`` never imports ``pipelines/`` (the pipelines build on the crawler package,
    not the other way round). An empty ``problems`` is left out: most records have none.
    """
    data = ItemAdapter(item).asdict()
    if not data.get("problems"):
        data.pop("problems", None)
    return (json.dumps(data, ensure_ascii=False, separators=(", ", ": ")) + "\n").encode("utf-8")
