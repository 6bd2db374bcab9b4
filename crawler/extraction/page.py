"""The page model: a page decoded and parsed once, and what reading it yields.

Every other module of ``crawler.extraction`` builds on this one and on nothing else of the
package: a ``ParsedPage`` in, a ``Reading`` (what one way of reading found) or an
``ArticlePage`` / ``SectionPage`` (what the page is) out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import lxml.html
from lxml import etree
from lxml.etree import ParserError
from w3lib.encoding import html_to_unicode

# The HTML parser loads no DTD and resolves no external entity; never touch the network,
# keep going on broken markup.
_PARSER = lxml.html.HTMLParser(
    no_network=True, recover=True, remove_comments=True, remove_pis=True, huge_tree=False
)
# libxml2 stops at this nesting depth (2048 with huge_tree) and drops the rest of the page
# without an exception; only the parser's error log says so.
_HUGE_PARSER = lxml.html.HTMLParser(
    no_network=True, recover=True, remove_comments=True, remove_pis=True, huge_tree=True
)
_DEPTH_ERROR = "Excessive depth"
# C0 controls (NUL included) other than tab, LF, CR and FF: never text, and lxml refuses NUL.
_CONTROLS_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f]+")


@dataclass
class ParsedPage:
    """A decoded, parsed HTML page; parse once, extract many times."""

    url: str
    encoding: str
    tree: lxml.html.HtmlElement | None
    problems: list[str] = field(default_factory=list)

    def xpath(self, query: str) -> list:
        if self.tree is None:
            return []
        return _compiled(query)(self.tree)


@lru_cache(maxsize=256)
def _compiled(query: str) -> etree.XPath:
    """XPath compiled once: the profile's few queries run on every page."""
    return etree.XPath(query)


def parse_html(
    body: bytes, url: str, content_type: str | None = None, default_encoding: str = "gb18030"
) -> ParsedPage:
    """Decode the way browsers do (BOM, then HTTP charset, then meta; gb2312 means GB18030).

    Undeclared pages fall back to GB18030: every page of this site is GBK.
    """
    encoding, text = html_to_unicode(content_type, body, default_encoding=default_encoding)
    text = _CONTROLS_RE.sub("", text)
    if not text.strip():
        return ParsedPage(url, encoding, None, ["empty document"])
    problems: list[str] = []
    try:
        tree = lxml.html.document_fromstring(text, parser=_PARSER, base_url=url)
        if _too_deep(_PARSER):  # what lies deeper was dropped: try the deeper parser
            tree = lxml.html.document_fromstring(text, parser=_HUGE_PARSER, base_url=url)
            if _too_deep(_HUGE_PARSER):
                problems.append("markup nested too deep: text inside it was dropped")
    except (ParserError, ValueError) as exc:
        return ParsedPage(url, encoding, None, [f"unparseable HTML: {exc}"])
    return ParsedPage(url, encoding, tree, problems)


def parse_response(response: Any) -> ParsedPage:
    """A response as every callback parses it (the spider's and re-extraction's): the
    decoded body, read with the charset of its HTTP Content-Type (Scrapy's ``Response``, or
    anything with its ``url``, ``body`` and ``headers``)."""
    content_type = response.headers.get(b"Content-Type")
    return parse_html(
        response.body, response.url, content_type.decode("latin-1") if content_type else None
    )


def _too_deep(parser: lxml.html.HTMLParser) -> bool:
    return any(_DEPTH_ERROR in entry.message for entry in parser.error_log)


@dataclass
class Reading:
    """What one way of reading an article page (a template, the text conventions) found;
    what it did not find is None or empty, and ``problems`` says why. The orchestrator
    (``crawler.extraction.article``) merges readings into an ``ArticlePage``."""

    title: str | None = None
    source: str | None = None
    author: str | None = None
    editor: str | None = None
    published: str | None = None
    breadcrumb: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    images: list[dict[str, str | None]] = field(default_factory=list)
    # Related articles the reading itself found (the text conventions' 相关文章 list).
    related: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    # The fields a reading may find, in the order a merge looks at them.
    FIELDS = ("title", "source", "author", "editor", "published", "breadcrumb",
              "paragraphs", "images")

    @property
    def whole(self) -> bool:
        """Title, date and text: a reading that needs no other."""
        return self.title is not None and self.published is not None and bool(self.paragraphs)


@dataclass
class ArticleHead:
    """An article page's URL and what its head says (title, meta line, breadcrumb); an
    article's item has page 1's (``crawler.items.ArticleItem`` extends this too)."""

    url: str
    title: str | None
    source: str | None
    author: str | None
    editor: str | None
    published: str | None
    breadcrumb: list[str]


@dataclass
class ArticlePage(ArticleHead):
    """What one page of an article holds."""

    paragraphs: list[str]
    images: list[dict[str, str | None]]
    page_urls: list[str]
    related: list[dict[str, str]]
    problems: list[str]
    template: str | None = None
    # The template's name, or "text" when the text conventions made the page
    # (crawler.extraction.text): the markup was one no template describes.
    extracted_by: str | None = None


@dataclass
class SectionHead:
    """A section's URL and what its list page 1 says of it; a section's item has these
    (``crawler.items.SectionItem`` extends this too)."""

    url: str
    name: str | None
    breadcrumb: list[str]
    kind: str
    parent: str | None
    list_pages: int


@dataclass
class SectionPage(SectionHead):
    problems: list[str]
