"""Extraction by the site's text conventions, for markup no template of the profile knows.

Nobody has seen the real site's HTML, only its text: a meta line ``来源:X 作者:Y <date>``, a
title just above it, a ``>>`` row of links from the site's home, ``编辑:``/``责任编辑:`` below
the body, ``_NN`` links to later pages. Those conventions outlived every template change the
site's public copies show, so this module reads a page by them and by text density alone,
never by a class name or id. The orchestrator (``article.py``) reads a page so when no
template matches, or when a matching template leaves essential fields empty.

Pure functions: a parsed page and the site profile in, a ``Reading`` out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import lxml.html

from crawler.extraction.conventions import (
    DATE_RE,
    absolute,
    clean_text,
    extract_body,
    parse_meta_line,
    parse_published,
)
from crawler.extraction.page import ParsedPage, Reading
from crawler.profile import PageKind, SiteProfile

# Problems this module names, and the field each is about (a template that found the field
# makes the problem moot).
NO_META = "text: no meta line (source, author, published)"
PROBLEM_FIELDS = {
    NO_META: "published",
    "text: no title": "title",
    "text: no breadcrumb": "breadcrumb",
    "text: no editor label": "editor",
    "text: no article body": "paragraphs",
}
_META_LABEL_RE = re.compile(r"(?:来源|作者)\s*[:：]")
_EDITOR_RE = re.compile(
    r"^[\[【(（]?\s*(?:责任)?编辑\s*[:：]\s*(?P<v>[^\]】)）]*?)\s*[\]】)）]?$"
)
_EDITOR_IN_LINE_RE = re.compile(r"(?:责任)?编辑\s*[:：]\s*(?P<v>\S*)")
_CRUMB_SEP_RE = re.compile(r"^(?:>|&gt;|»|›|→|\s)*(?:>|»|›|→)(?:>|»|›|→|\s)*$")
# What a pager shows besides its links: the current page number, brackets, 共N页.
_PAGER_REST_RE = re.compile(r"^[\s\d\[\]【】|/第共页:：.…]*$")
_RELATED_LABELS = ("相关文章", "相关新闻", "相关阅读", "相关链接")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# A paragraph is a leaf: no block inside it. A candidate body holds such leaves directly.
_BLOCK_TAGS = frozenset(
    {"p", "div", "table", "tbody", "tr", "td", "ul", "ol", "li", "dl", "dt", "dd", "center",
     "section", "article", "h1", "h2", "h3", "h4", "h5", "h6", "form", "iframe"}
)
_CONTAINERS = frozenset({"div", "td", "section", "article", "center", "font"})
# The meta line is a line, not a paragraph of the body that happens to name a source.
_MAX_META_CHARS = 300
_MAX_EDITOR_CHARS = 40
_MAX_META_LEVELS = 4


@dataclass
class _Order:
    """Document position of every element, so "before" and "after" are one comparison."""

    index: dict[lxml.html.HtmlElement, int]

    @classmethod
    def of(cls, tree: lxml.html.HtmlElement) -> _Order:
        return cls({el: i for i, el in enumerate(tree.iter())})

    def __call__(self, el: lxml.html.HtmlElement) -> int:
        return self.index.get(el, -1)


def _norm(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u3000", " ")


def _text_nodes(page: ParsedPage, *needles: str) -> Iterator[tuple[str, lxml.html.HtmlElement]]:
    """Text containing any of ``needles``, in document order, with the element it is the
    content of (not the tail of)."""
    test = " or ".join(f"contains(., '{n}')" for n in needles)
    for node in page.xpath(f"//text()[{test}]"):
        parent = node.getparent()
        if parent is None:
            continue
        el = parent.getparent() if node.is_tail else parent
        if el is None or el.tag in ("script", "style", "title"):
            continue
        yield str(node), el


def find_meta_line(page: ParsedPage) -> lxml.html.HtmlElement | None:
    """The smallest element holding a 来源/作者 label and a date, first in the page.

    Walks up from the label's text node, because the date may sit in a sibling element
    (``<span>2016年…</span> <span>来源:X</span>``).
    """
    for node, el in _text_nodes(page, "来源", "作者"):
        if not _META_LABEL_RE.search(node):  # "来源于…" in running text is no label
            continue
        for _ in range(_MAX_META_LEVELS):
            if el is None:
                break
            text = _norm(el.text_content())
            if len(text) > _MAX_META_CHARS:
                break
            if _META_LABEL_RE.search(text) and DATE_RE.search(text):
                return el
            el = el.getparent()
    return None


def find_title(
    page: ParsedPage, profile: SiteProfile, meta: lxml.html.HtmlElement | None, order: _Order
) -> str | None:
    """The heading just before the meta line, else ``<title>`` without the site's suffix."""
    if meta is not None:
        limit = order(meta)
        before = [h for h in page.tree.iter(*_HEADINGS) if order(h) < limit]
        for heading in reversed(before):
            text = clean_text(heading.text_content())
            if text:
                return text
    titles = page.xpath("//title")
    if not titles:
        return None
    title = clean_text(titles[0].text_content())
    title = re.sub(rf"\s*[-_|－—]+\s*{re.escape(profile.site_name)}\s*$", "", title)
    return title or None


def _link_in(el: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    if el.tag == "a":
        return el
    links = el.findall(".//a")
    return links[0] if len(links) == 1 else None


def _crumb_unit(a: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The link, or the inline wrapper it alone fills (``<span><a>…</a></span>``)."""
    unit = a
    parent = a.getparent()
    while (
        parent is not None
        and parent.tag in ("span", "font", "b", "strong", "li", "em")
        and len(parent) == 1
        and not clean_text(parent.text)
        and not clean_text(unit.tail)
    ):
        unit, parent = parent, parent.getparent()
    return unit


def find_breadcrumb(page: ParsedPage, profile: SiteProfile) -> list[str]:
    """Names of the ``>>`` row of links that starts at the site's home."""
    host = (urlsplit(page.url).hostname or "").lower()
    for a in page.xpath("//a[@href]"):
        url = absolute(page, a.get("href"))
        if not url or (urlsplit(url).hostname or "").lower() != host:
            continue
        if profile.kind_of(url) is not PageKind.HOME:
            continue
        name = clean_text(a.text_content())
        if not name:
            continue
        names = [name]
        unit = _crumb_unit(a)
        while True:
            sep = unit.tail or ""
            nxt = unit.getnext()
            if nxt is None or not _CRUMB_SEP_RE.match(sep):
                break
            link = _link_in(nxt)
            text = clean_text(link.text_content()) if link is not None else ""
            if not text:
                break
            names.append(text)
            unit = nxt
        if len(names) >= 2:
            return names
    return []


def _link_chars(el: lxml.html.HtmlElement) -> int:
    return sum(len(clean_text(a.text_content())) for a in el.iter("a"))


def _is_leaf(el: lxml.html.HtmlElement) -> bool:
    return not any(isinstance(d.tag, str) and d.tag in _BLOCK_TAGS for d in el.iterdescendants())


def _own_text(el: lxml.html.HtmlElement) -> int:
    chars = len(clean_text(el.text))
    return chars + sum(len(clean_text(c.tail)) for c in el)


def _density(el: lxml.html.HtmlElement, after: int, order: _Order) -> int:
    """Characters of running text ``el`` holds directly after position ``after``: its own
    text plus leaf children that are not mostly link text (link lists, pagers and nav rows
    score nothing)."""
    score = _own_text(el) if order(el) > after else 0
    for child in el:
        if not isinstance(child.tag, str) or child.tag in ("script", "style", "a"):
            continue
        if order(child) <= after:
            continue
        if not _is_leaf(child):
            continue
        text = len(clean_text(child.text_content()))
        if text and _link_chars(child) * 2 < text:
            score += text
    return score


def find_body(
    page: ParsedPage, meta: lxml.html.HtmlElement | None, order: _Order
) -> lxml.html.HtmlElement | None:
    """The densest text block after the meta line (anywhere when there is no meta line).

    Only what follows the meta line counts, so a container holding title, meta line and
    paragraphs alike is still found, by its paragraphs.
    """
    start = _after(meta, order)
    best, best_score = None, 0
    for el in page.tree.iter(*_CONTAINERS):
        score = _density(el, start, order)
        if score > best_score:
            best, best_score = el, score
    return best


def _after(meta: lxml.html.HtmlElement | None, order: _Order) -> int:
    """Position of the meta line's last descendant: the body starts after it."""
    if meta is None:
        return -1
    return max(order(d) for d in meta.iter())


def _not_a_link_row(el: lxml.html.HtmlElement) -> bool:
    """Keep paragraphs; drop pagers, link lists and nav rows that sit inside the body."""
    text = clean_text(el.text_content())
    links = _link_chars(el)
    if not links:
        return True
    rest = text
    for a in el.iter("a"):
        rest = rest.replace(clean_text(a.text_content()), "", 1)
    return not (links * 2 >= len(text) or _PAGER_REST_RE.match(rest))


def find_editor(page: ParsedPage, meta_text: str) -> tuple[bool, str | None]:
    """(label found, name) from ``编辑:`` / ``责任编辑:``, in its own element or the meta line."""
    for _, el in _text_nodes(page, "编辑"):
        text = clean_text(_norm(el.text_content()))
        if len(text) > _MAX_EDITOR_CHARS:
            continue
        m = _EDITOR_RE.match(text)
        if m:
            return True, m.group("v").strip() or None
    m = _EDITOR_IN_LINE_RE.search(meta_text)
    if m:
        return True, m.group("v") or None
    return False, None


def find_related(page: ParsedPage, profile: SiteProfile) -> list[dict[str, str]]:
    """Article links of the list that follows a 相关文章 label."""
    for text, el in _text_nodes(page, "相关"):
        if clean_text(text) not in _RELATED_LABELS:
            continue
        sibling = None
        for _ in range(3):
            sibling = el.getnext()
            if sibling is not None or el.getparent() is None:
                break
            el = el.getparent()
        if sibling is None:
            continue
        related = []
        for a in sibling.iter("a"):
            url = absolute(page, a.get("href"))
            title = clean_text(a.text_content())
            if url and title and profile.article_page_number(url) is not None:
                related.append({"title": title, "url": profile.article_first_page(url)})
        return related
    return []


def read_by_text(page: ParsedPage, profile: SiteProfile) -> Reading:
    """An article page read by the site's text conventions alone.

    A field whose label or structure is not on the page is named in ``problems``; a label
    with nothing after it (``作者:``) is the page saying the field is empty, not a problem.
    """
    if page.tree is None:
        return Reading(problems=["no document"])
    reading = Reading()
    order = _Order.of(page.tree)
    meta = find_meta_line(page)
    meta_text = _norm(clean_text(meta.text_content())) if meta is not None else ""
    if meta is None:
        reading.problems.append(NO_META)
    else:
        reading.source, reading.author, published = parse_meta_line(meta_text)
        reading.published = published or parse_published(meta_text)
    reading.title = find_title(page, profile, meta, order)
    if reading.title is None:
        reading.problems.append("text: no title")
    reading.breadcrumb = find_breadcrumb(page, profile)
    if not reading.breadcrumb:
        reading.problems.append("text: no breadcrumb")
    found_editor, reading.editor = find_editor(page, meta_text)
    if not found_editor:
        reading.problems.append("text: no editor label")
    body = find_body(page, meta, order)
    if body is None:
        reading.problems.append("text: no article body")
    else:
        start = _after(meta, order)
        reading.paragraphs, reading.images = extract_body(
            page, body, keep=lambda el: order(el) > start and _not_a_link_row(el)
        )
    reading.related = find_related(page, profile)
    return reading
