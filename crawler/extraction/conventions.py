"""The site's conventions every way of reading a page shares.

Text cleaning, the date and meta-line formats (``来源: X 作者: Y 2008年07月24日14:34:53``),
absolute links, ``<title>`` without the site's name, a body block's paragraphs, images and
captions, the pages of an article its links name, and its related articles. Template
extraction (``template.py``) and text-convention extraction (``text.py``) both build on
these; nothing here knows either of them.

Pure functions: nothing touches Scrapy, and what cannot be found is ``None`` or empty,
never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from urllib.parse import urljoin

import lxml.html

from crawler.extraction.page import ParsedPage
from crawler.profile import SiteProfile

INDENT = "\u3000\u00a0 \t\r\n"

DATE_RE = re.compile(
    r"(?P<y>\d{4})\s*[年\-/.]\s*(?P<m>\d{1,2})\s*[月\-/.]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)
_LABEL_RE = re.compile(r"(来源|作者|编辑|责任编辑)\s*[:：]")


def clean_text(text: str | None) -> str:
    return (text or "").strip(INDENT)


def element_text(el: lxml.html.HtmlElement) -> str:
    """An element's whole text, indentation stripped."""
    return clean_text(el.text_content())


def first_text(page: ParsedPage, query: str) -> str | None:
    """The first non-empty text among the elements ``query`` selects."""
    for el in page.xpath(query):
        value = element_text(el)
        if value:
            return value
    return None


def strip_label(value: str | None, label: str) -> str | None:
    """``来源:X`` (or ``【来源：X】``) without its label (a regular expression)."""
    if value is None:
        return None
    value = re.sub(rf"^[\[【(（]?\s*{label}\s*[:：]?", "", value).strip(INDENT + "]】)）")
    return value or None


def parse_published(text: str | None) -> str | None:
    """``2008年07月24日14:34:53`` and its variants as ISO 8601 in the site's time zone."""
    if not text:
        return None
    m = DATE_RE.search(text)
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
    date_m = DATE_RE.search(text)
    rest = text[: date_m.start()] + text[date_m.end() :] if date_m else text
    values: dict[str, str | None] = {}
    labels = list(_LABEL_RE.finditer(rest))
    for i, label in enumerate(labels):
        end = labels[i + 1].start() if i + 1 < len(labels) else len(rest)
        values[label.group(1)] = rest[label.end() : end].strip() or None
    return values.get("来源"), values.get("作者"), published


def absolute(page: ParsedPage, href: str | None) -> str | None:
    """A link of the page as an absolute URL without fragment; None for no link at all
    (empty, ``javascript:``, ``mailto:``, a bare fragment)."""
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


def title_from_head(page: ParsedPage, profile: SiteProfile) -> str | None:
    """``<title>`` without the ``-site name`` suffix."""
    title = first_text(page, "//title")
    if not title:
        return None
    suffix = f"-{profile.site_name}"
    return title[: -len(suffix)] if title.endswith(suffix) else title


def breadcrumb_links(page: ParsedPage, query: str) -> tuple[list[str], list[str]]:
    """Names and URLs ("" for none) of the breadcrumb links ``query`` selects."""
    names, urls = [], []
    for a in page.xpath(query):
        name = element_text(a)
        if name:
            names.append(name)
            urls.append(absolute(page, a.get("href")) or "")
    return names, urls


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
        imgs = [i for i in el.iter("img") if absolute(page, i.get("src"))]
        lines = _lines(el)
        if imgs:
            for img in imgs:
                images.append({"url": absolute(page, img.get("src")), "caption": None})
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
        url = absolute(page, href)
        if not url or profile.article_first_page(url) != first:
            continue
        number = profile.article_page_number(url)
        if number:
            numbered[number] = first if number == 1 else url
    return [numbered[n] for n in sorted(numbered)]


def related_articles(page: ParsedPage, profile: SiteProfile) -> list[dict[str, str]]:
    """The related articles the profile's ``related_links`` block names, by page 1."""
    related = []
    for a in page.xpath(profile.related_links):
        url = absolute(page, a.get("href"))
        title = element_text(a)
        if url and title:
            if profile.article_page_number(url) is not None:
                url = profile.article_first_page(url)
            related.append({"title": title, "url": url})
    return related
