"""Extraction as pure functions: bytes and URL in, plain data out.

Nothing here touches Scrapy, so the same code serves the live crawl, `scrapy parse`, offline
re-extraction from WARCs and the unit tests on the sample pages. Every function tolerates a
page that differs a little from the samples: what cannot be found is ``None`` plus a line in
``problems``, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from lxml.etree import ParserError
from w3lib.encoding import html_to_unicode

from crawler.profile import ArticleTemplate, PageKind, SiteProfile

# The HTML parser loads no DTD and resolves no external entity; never touch the network,
# keep going on broken markup.
_PARSER = lxml.html.HTMLParser(
    no_network=True, recover=True, remove_comments=True, remove_pis=True, huge_tree=False
)
_INDENT = "\u3000\u00a0 \t\r\n"
# libxml2 stops at this nesting depth (2048 with huge_tree) and drops the rest of the page
# without an exception; only the parser's error log says so.
_HUGE_PARSER = lxml.html.HTMLParser(
    no_network=True, recover=True, remove_comments=True, remove_pis=True, huge_tree=True
)
_DEPTH_ERROR = "Excessive depth"
# C0 controls (NUL included) other than tab, LF, CR and FF: never text, and lxml refuses NUL.
_CONTROLS_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f]+")

_DATE_RE = re.compile(
    r"(?P<y>\d{4})\s*[年\-/.]\s*(?P<m>\d{1,2})\s*[月\-/.]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)
_LABEL_RE = re.compile(r"(来源|作者|编辑|责任编辑)\s*[:：]")
_PAGE_COUNT_RE = re.compile(r"共\s*(\d+)\s*页")


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
    # (crawler.textextract): the markup was one no template describes.
    extracted_by: str | None = None


def article_page(
    page: ParsedPage,
    profile: SiteProfile,
    found: dict[str, Any],
    *,
    related: list[dict[str, str]],
    problems: list[str],
    template: str | None = None,
    extracted_by: str | None = None,
) -> ArticlePage:
    """The article page ``page`` is, from what reading it found (by a template or by the
    text conventions; ``found``: title, source, author, editor, published, breadcrumb,
    paragraphs, images, an absent one empty). Its URL, and the pages of its article its
    links name, are the page's own whatever reading found."""
    nothing: dict[str, Any] = {"title": None, "source": None, "author": None, "editor": None,
                               "published": None, "breadcrumb": [], "paragraphs": [],
                               "images": []}
    return ArticlePage(url=page.url, **{**nothing, **found},
                       page_urls=article_page_urls(page, profile), related=related,
                       problems=problems, template=template, extracted_by=extracted_by)


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


def clean_text(text: str | None) -> str:
    return (text or "").strip(_INDENT)


def _text(el: lxml.html.HtmlElement) -> str:
    return clean_text(el.text_content())


def _first_text(page: ParsedPage, query: str) -> str | None:
    for el in page.xpath(query):
        value = _text(el)
        if value:
            return value
    return None


def _strip_label(value: str | None, label: str) -> str | None:
    if value is None:
        return None
    value = re.sub(rf"^[\[【(（]?\s*{label}\s*[:：]?", "", value).strip(_INDENT + "]】)）")
    return value or None


def parse_published(text: str | None) -> str | None:
    """``2008年07月24日14:34:53`` and its variants as ISO 8601 in the site's time zone."""
    if not text:
        return None
    m = _DATE_RE.search(text)
    if not m:
        return None
    y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
    hh, mm, ss = int(m["H"] or 0), int(m["M"] or 0), int(m["S"] or 0)
    return f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}+08:00"


def parse_meta_line(text: str) -> tuple[str | None, str | None, str | None]:
    """Split ``来源: X  作者: Y   2008年07月24日14:34:53`` into (source, author, published).

    Labels, not spacing, delimit the parts: authors carry single spaces inside
    (``文字 胡吉 闾高桥``) and any part may be empty or missing.
    """
    text = text.replace("\u00a0", " ").replace("\u3000", " ")
    published = parse_published(text)
    date_m = _DATE_RE.search(text)
    rest = text[: date_m.start()] + text[date_m.end() :] if date_m else text
    values: dict[str, str | None] = {}
    labels = list(_LABEL_RE.finditer(rest))
    for i, label in enumerate(labels):
        end = labels[i + 1].start() if i + 1 < len(labels) else len(rest)
        values[label.group(1)] = rest[label.end() : end].strip() or None
    return values.get("来源"), values.get("作者"), published


def _template(page: ParsedPage, profile: SiteProfile) -> ArticleTemplate | None:
    for template in profile.templates:
        if page.xpath(template.marker):
            return template
    return None


def _absolute(page: ParsedPage, href: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith(("javascript:", "mailto:", "#")):
        return None
    return _join(page.url, href)


@lru_cache(maxsize=2048)
def _join(base: str, href: str) -> str:
    """``urljoin`` without the fragment. Absolute and root-relative links (nearly all) skip
    urljoin; the cache, keyed by page too, catches the links a page repeats."""
    if "/./" not in href and "/../" not in href:
        if href.startswith(("http://", "https://")):
            return href.split("#", 1)[0]
        if href.startswith("/") and not href.startswith("//"):
            scheme, _, rest = base.partition("://")
            return f"{scheme}://{rest.split('/', 1)[0]}{href}".split("#", 1)[0]
    return urljoin(base, href).split("#", 1)[0]


_BLOCKS = {"p", "div", "table", "tr", "td", "ul", "ol", "li", "h1", "h2", "h3", "h4", "center"}


def _paragraph_elements(body: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """The innermost block elements of the body, in document order (``p`` in the samples)."""
    found = []
    for el in body.iterdescendants():
        if not isinstance(el.tag, str) or el.tag not in _BLOCKS:
            continue
        if "pages" in (el.get("class") or "").split():
            continue
        if any(isinstance(c.tag, str) and c.tag in _BLOCKS for c in el.iterdescendants()):
            continue
        if any("pages" in (a.get("class") or "").split() for a in el.iterancestors()):
            continue
        found.append(el)
    return found


def _lines(el: lxml.html.HtmlElement) -> list[str]:
    """Text of a paragraph; ``<br>`` splits it into lines."""
    return [line for line in (clean_text(s) for s in "".join(_walk_text(el)).split("\n")) if line]


def _walk_text(el: lxml.html.HtmlElement) -> Iterator[str]:
    if el.text and isinstance(el.tag, str):
        yield el.text
    for child in el:
        if child.tag == "br":
            yield "\n"
        elif isinstance(child.tag, str) and child.tag not in ("script", "style"):
            yield from _walk_text(child)
        if child.tail:
            yield child.tail


def _centred(el: lxml.html.HtmlElement) -> bool:
    """``align="center"`` (2008 markup) or ``style="text-align: center"`` (later CMSes)."""
    if (el.get("align") or "").lower() == "center":
        return True
    style = (el.get("style") or "").lower().replace(" ", "")
    return "text-align:center" in style


def extract_body(
    page: ParsedPage,
    body: lxml.html.HtmlElement,
    keep: Callable[[lxml.html.HtmlElement], bool] | None = None,
) -> tuple[list[str], list[dict[str, str | None]]]:
    """Paragraphs and images; a centred text paragraph right after an image is its caption.

    ``keep`` drops paragraph elements a caller knows are not text (the text fallback's
    pagers and link rows inside a body block).
    """
    paragraphs: list[str] = []
    images: list[dict[str, str | None]] = []
    elements = _paragraph_elements(body) or [body]
    if keep is not None:
        elements = [el for el in elements if keep(el)]
    previous_was_image = False
    for el in elements:
        imgs = [i for i in el.iter("img") if _absolute(page, i.get("src"))]
        lines = _lines(el)
        if imgs:
            for img in imgs:
                images.append({"url": _absolute(page, img.get("src")), "caption": None})
        if lines:
            is_caption = (
                previous_was_image
                and not imgs
                and _centred(el)
                and len(lines) == 1
            )
            if is_caption:
                images[-1]["caption"] = lines[0]
            paragraphs.extend(lines)
        previous_was_image = bool(imgs) and not lines
    return paragraphs, images


def _breadcrumb(page: ParsedPage, query: str) -> tuple[list[str], list[str]]:
    names, urls = [], []
    for a in page.xpath(query):
        name = _text(a)
        if name:
            names.append(name)
            urls.append(_absolute(page, a.get("href")) or "")
    return names, urls


def extract_article_page(page: ParsedPage, profile: SiteProfile) -> ArticlePage:
    problems = list(page.problems)
    template = _template(page, profile)
    title = source = author = editor = published = None
    breadcrumb: list[str] = []
    paragraphs: list[str] = []
    images: list[dict[str, str | None]] = []
    if template is not None:
        title = _first_text(page, template.title)
        if template.meta_line:
            line = _first_text(page, template.meta_line) or ""
            source, author, published = parse_meta_line(line)
        else:
            published = parse_published(_first_text(page, template.published or ""))
            source = _strip_label(_first_text(page, template.source or ""), "来源")
            author = _strip_label(_first_text(page, template.author or ""), "作者")
        editor = _strip_label(_first_text(page, template.editor), "(?:责任)?编辑")
        breadcrumb, _ = _breadcrumb(page, template.breadcrumb)
        bodies = page.xpath(template.body)
        if bodies:
            paragraphs, images = extract_body(page, bodies[0])
        else:
            problems.append("no article body")
    found = {
        "title": title, "source": source, "author": author, "editor": editor,
        "published": published, "breadcrumb": breadcrumb, "paragraphs": paragraphs,
        "images": images,
    }
    if template is None or title is None or published is None or not paragraphs:
        # Markup no template describes, or describes wrongly: read the page by its text.
        from crawler.textextract import complete_by_text  # which builds on this module

        return complete_by_text(page, profile, template, found)
    found["breadcrumb"] = breadcrumb or _breadcrumb(page, profile.section_breadcrumb)[0]
    return article_page(page, profile, found, related=related_articles(page, profile),
                        problems=problems, template=template.name, extracted_by=template.name)


def _title_from_head(page: ParsedPage, profile: SiteProfile) -> str | None:
    title = _first_text(page, "//title")
    if not title:
        return None
    suffix = f"-{profile.site_name}"
    return title[: -len(suffix)] if title.endswith(suffix) else title


def article_page_urls(page: ParsedPage, profile: SiteProfile) -> list[str]:
    """All pages of the article this page belongs to, as far as its pager tells, in order."""
    first = profile.article_first_page(page.url)
    numbered: dict[int, str] = {1: first}
    own = profile.article_page_number(page.url)
    if own and own > 1:
        numbered[own] = page.url
    # Any link to a page of this article counts, whatever block it sits in: a pager of a
    # layout the profile has never seen must not leave later pages out of the archive.
    # Such a link names the article's file (or is a bare query on this page): ~100 links
    # of a page that do not are passed over before they are resolved.
    stem = first.rsplit("/", 1)[-1].removesuffix(".shtml")
    for href in page.xpath("//a/@href|//area/@href"):
        if stem not in href and "?" not in href:
            continue
        url = _absolute(page, href)
        if not url or profile.article_first_page(url) != first:
            continue
        number = profile.article_page_number(url)
        if number:
            numbered[number] = first if number == 1 else url
    return [numbered[n] for n in sorted(numbered)]


def related_articles(page: ParsedPage, profile: SiteProfile) -> list[dict[str, str]]:
    related = []
    for a in page.xpath(profile.related_links):
        url = _absolute(page, a.get("href"))
        title = _text(a)
        if url and title:
            if profile.article_page_number(url) is not None:
                url = profile.article_first_page(url)
            related.append({"title": title, "url": url})
    return related


def assemble_article(pages: list[ArticlePage]) -> dict:
    """One article item from its pages, in page order; page 1 carries the metadata."""
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


def extract_section_page(page: ParsedPage, profile: SiteProfile) -> SectionPage:
    problems = list(page.problems)
    names, urls = _breadcrumb(page, profile.section_breadcrumb)
    if not names:
        problems.append("no breadcrumb")
    is_list = bool(page.xpath(profile.list_items))
    if len(names) <= 2:
        kind = "channel"
    elif is_list:
        kind = "column"
    else:
        kind = "topic"
    parent = None
    if len(urls) >= 2 and urls[-2]:
        parent = urls[-2]
        if profile.kind_of(parent) is PageKind.SECTION:
            parent = profile.section_url(parent)
    list_pages = 1
    if is_list:
        pager = _first_text(page, profile.list_pager_total)
        m = _PAGE_COUNT_RE.search(pager or "")
        if m:
            list_pages = int(m.group(1))
        elif pager is None:
            problems.append("column without pager")
    return SectionPage(
        url=profile.section_url(page.url),
        name=names[-1] if names else _title_from_head(page, profile),
        breadcrumb=names,
        kind=kind,
        parent=parent,
        list_pages=list_pages,
        problems=problems,
    )
