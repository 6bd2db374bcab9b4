"""An article being put together from its pages, as they come in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawler.extract import ArticlePage


@dataclass
class ArticleAssembly:
    """An article whose later pages are still being fetched (rides along in ``cb_kwargs``)."""

    first_url: str
    fetched: str
    warc: Any = None
    pages: dict[int, ArticlePage] = field(default_factory=dict)
    known: dict[int, str] = field(default_factory=dict)
    unchanged: set[int] = field(default_factory=set)

    def next_missing(self) -> str | None:
        for number in sorted(self.known):
            if number not in self.pages:
                return self.known[number]
        return None
