"""The links of a page: every one, by the block it sits in, and what rendering it needs.

Pure functions over a parsed page (``crawler.extraction.page.ParsedPage``), like extraction: the
spider decides what to request, this module only says what the page links to and where.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urljoin

import lxml.html

from crawler.extraction.conventions import absolute, element_text
from crawler.extraction.page import ParsedPage
from crawler.profile import SiteProfile

_CSS_URL_RE = re.compile(rb"""url\(\s*['"]?([^'")\s]+)['"]?\s*\)""", re.I)
_CSS_IMPORT_RE = re.compile(rb"""@import\s+['"]([^'"]+)['"]""", re.I)


@dataclass
class Link:
    url: str
    text: str


def page_links(page: ParsedPage) -> list[Link]:
    """Every link of the page, absolute, in document order (fragments dropped)."""
    links = []
    for a in page.xpath("//a[@href]|//area[@href]"):
        url = absolute(page, a.get("href"))
        if url:
            links.append(Link(url, element_text(a)))
    return links


@dataclass
class BlockLink:
    url: str
    text: str
    block: str  # structural key of the block the link sits in
    fingerprint: str  # of the block's whole link set: the same block on another page matches


_BLOCK_TAGS = {"div", "table", "td", "ul", "ol", "dl", "tr"}


def _block_key(a: lxml.html.HtmlElement) -> str:
    """The nearest identifiable container (tag with class or id) and two of its ancestors."""
    chain: list[str] = []
    for anc in a.iterancestors():
        if anc.tag in _BLOCK_TAGS and (anc.get("class") or anc.get("id")):
            chain.append(f"{anc.tag}.{anc.get('class') or ''}#{anc.get('id') or ''}")
            if len(chain) == 3:
                break
    return "/".join(reversed(chain)) or "page"


def links_by_block(page: ParsedPage, profile: SiteProfile) -> list[BlockLink]:
    """Every link with the block it sits in: blocks the profile names first, then the rest.

    Content blocks come first in the result so that a URL linked both from the content and
    from a sidebar is attributed to the content.
    """
    if page.tree is None:
        return []
    in_named: dict[lxml.html.HtmlElement, str] = {}
    for i, query in enumerate(profile.template_blocks):
        for block in page.xpath(query):
            for a in block.iter("a", "area"):
                in_named.setdefault(a, f"profile:{i}")
    grouped: dict[str, list[Link]] = {}
    for a in page.xpath("//a[@href]|//area[@href]"):
        url = absolute(page, a.get("href"))
        if url:
            key = in_named.get(a) or _block_key(a)
            grouped.setdefault(key, []).append(Link(url, element_text(a)))
    content: list[BlockLink] = []
    template: list[BlockLink] = []
    for key, links in grouped.items():
        link_set = "\n".join(sorted({link.url for link in links}))
        digest = hashlib.sha1(link_set.encode()).hexdigest()[:16]
        target = template if key.startswith("profile:") else content
        target.extend(BlockLink(link.url, link.text, key, digest) for link in links)
    return content + template


def requisite_links(page: ParsedPage) -> list[str]:
    """What a browser loads to render the page: images, stylesheets, scripts, inline CSS urls."""
    found: list[str] = []
    for query in (
        "//img/@src",
        # Lazy-loading markup (later CMS generations) keeps the real image here.
        "//img/@data-src",
        "//img/@data-original",
        "//link[@href][contains(@rel, 'stylesheet') or contains(@rel, 'icon')]/@href",
        "//script/@src",
        "//input[@type='image']/@src",
        "//*[@background]/@background",
    ):
        found.extend(u for u in (absolute(page, v) for v in page.xpath(query)) if u)
    for srcset in page.xpath("//img/@srcset|//source/@srcset"):
        for candidate in srcset.split(","):
            url = absolute(page, candidate.strip().split(" ", 1)[0])
            if url:
                found.append(url)
    for style in page.xpath("//style/text()|//*[@style]/@style"):
        found.extend(css_links(page.url, style.encode("utf-8", "replace")))
    return list(dict.fromkeys(found))


def css_links(url: str, css: bytes) -> list[str]:
    """``url(...)`` and ``@import`` targets of a stylesheet, absolute."""
    refs = _CSS_URL_RE.findall(css) + _CSS_IMPORT_RE.findall(css)
    out = []
    for ref in refs:
        text = ref.decode("ascii", "ignore").strip()
        if text and not text.startswith("data:"):
            out.append(urljoin(url, text))
    return list(dict.fromkeys(out))
