"""An article put together from its pages: the one assembly of the crawl and re-extraction.

The spider hands it each page as its response comes in (the assembly rides along in
``cb_kwargs`` while later pages are fetched); re-extraction hands it the archived pages. Both
ask it which page to fetch next, tell it which page could not be had, and make the item
through it, so an article is the same item whichever of them made it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from crawler.extraction.page import ArticleHead, ArticlePage
from crawler.items import ArticleItem
from crawler.profile import SiteProfile

NOT_FETCHED = "page not fetched: "  # the problem an article names a page it lacks by


def assemble_article(pages: list[ArticlePage]) -> dict:
    """One article item's fields from its pages, in page order; page 1 carries the metadata."""
    first = pages[0]
    body: list[str] = []
    images: list[dict[str, str | None]] = []
    problems: list[str] = []
    for p in pages:
        body.extend(p.paragraphs)
        images.extend(p.images)
        problems.extend(f"{p.url}: {msg}" for msg in p.problems)
    return {
        **{f.name: getattr(first, f.name) for f in fields(ArticleHead)},
        "url": first.page_urls[0] if first.page_urls else first.url,
        "body": "\n".join(body),
        "images": images,
        "pages": [p.url for p in pages],
        "related": first.related,
        "extracted_by": first.extracted_by,
        "problems": problems,
    }


def article_item(
    pages: list[ArticlePage], first_url: str, fetched: str | None, warc: Any = None
) -> ArticleItem:
    """The item of an article from its pages in order; the live crawl and re-extraction share it."""
    data = assemble_article(pages)
    data["url"] = first_url
    return ArticleItem(**data, fetched=fetched, warc=warc)


@dataclass
class ArticleAssembly:
    """An article whose later pages are still being fetched."""

    first_url: str
    fetched: str | None
    warc: Any = None
    pages: dict[int, ArticlePage] = field(default_factory=dict)
    known: dict[int, str] = field(default_factory=dict)
    unchanged: set[int] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def add(
        self,
        page: ArticlePage,
        profile: SiteProfile,
        *,
        also: Iterable[str] = (),
        warc: Any = None,
        unchanged: bool = False,
    ) -> str | None:
        """Take in one page; ``warc``: page 1's record. The pages of the article it makes
        known are those its links name (``page_urls``, whether or not a template matched:
        the archive must be complete), then ``also`` (later pages linked from elsewhere).
        The next page to fetch, or None once every known page is in."""
        number = profile.article_page_number(page.url) or 1
        if number == 1:
            self.warc = warc
        if unchanged:
            self.unchanged.add(number)
        self.pages[number] = page
        for url in (*page.page_urls, *also):
            self.known.setdefault(profile.article_page_number(url) or 1, url)
        return self.next_missing()

    def next_missing(self) -> str | None:
        for number in sorted(self.known):
            if number not in self.pages:
                return self.known[number]
        return None

    def lost(self, url: str, reason: str, profile: SiteProfile) -> None:
        """A later page could not be fetched: the article goes without it, and says why."""
        self.known.pop(profile.article_page_number(url) or 0, None)
        self.problems.append(f"{NOT_FETCHED}{url} ({reason})")

    @property
    def nothing_new(self) -> bool:
        """Every page is what an earlier run archived."""
        return self.unchanged == set(self.pages)

    @property
    def empty(self) -> bool:
        """No text on any page (a page of NUL bytes): archived, but not an article."""
        return not any(page.title or page.paragraphs for page in self.pages.values())

    def item(self) -> ArticleItem:
        item = article_item([self.pages[n] for n in sorted(self.pages)], self.first_url,
                            self.fetched, self.warc)
        item.problems.extend(self.problems)
        return item
