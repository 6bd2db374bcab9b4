"""An article put together from its pages: the one assembly of the crawl and re-extraction.

The spider hands it each page as its response comes in (the assembly rides along in
``cb_kwargs`` while later pages are fetched); re-extraction hands it the archived pages. Both
ask it which page to fetch next, tell it which page could not be had, and make the item
through it, so an article is the same item whichever of them made it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from crawler.extract import ArticlePage, ParsedPage, article_page, extract_article_page
from crawler.items import ArticleItem, article_item
from crawler.profile import SiteProfile

NOT_FETCHED = "page not fetched: "  # the problem an article names a page it lacks by


def extract_page(
    page_doc: ParsedPage, profile: SiteProfile
) -> tuple[ArticlePage, Exception | None]:
    """An article page's extraction that cannot stop the work: an error in it costs the
    page's fields (and is named in its problems), never the page. The error, if any, is
    returned for the caller to log and count."""
    try:
        return extract_article_page(page_doc, profile), None
    except Exception as exc:  # noqa: BLE001 - any extraction bug; the page is archived
        failed = [f"extraction failed: {exc!r}"]
        return article_page(page_doc, profile, {}, related=[], problems=failed), exc


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
