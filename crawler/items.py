"""The records the crawl exports, as dataclasses (read and written through ItemAdapter)."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ArticleItem:
    url: str
    title: str | None
    source: str | None
    author: str | None
    editor: str | None
    published: str | None
    breadcrumb: list[str]
    body: str
    images: list[dict[str, str | None]]
    pages: list[str]
    related: list[dict[str, str]] = field(default_factory=list)
    fetched: str | None = None
    # Page 1's response record; a Future until the WARC writer has placed the record.
    warc: dict[str, Any] | Future | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class SectionItem:
    url: str
    name: str | None
    breadcrumb: list[str]
    kind: str
    parent: str | None
    list_pages: int
    fetched: str | None = None
    warc: dict[str, Any] | Future | None = None
    problems: list[str] = field(default_factory=list)
