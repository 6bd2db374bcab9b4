"""Everything the site declares, in one place.

Callbacks and middlewares ask the profile what a URL is, where things sit in a page and how
a later list or article page is named; they never hard-code a path or a selector. Which
profile a crawl uses is the ``SITE_PROFILE`` setting (``site_profile``), read by each
component in its ``from_crawler``.

A sibling county site on the same zjol platform (xcnews, synews, ...) is a new
``SiteProfile`` value, not new code: ``zjol_county_site(host, root_dir, site_name)`` makes
one (``SZNEWS`` is made so), and ``-s SITE_PROFILE=module.VALUE`` crawls it.
``tests/test_profile.py`` crawls such a sibling of the replica this way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

from scrapy.utils.misc import load_object


class PageKind(StrEnum):
    HOME = "home"
    SECTION = "section"
    ARTICLE = "article"
    CALENDAR = "calendar"
    REQUISITE = "requisite"
    OTHER = "other"


@dataclass(frozen=True)
class ArticleTemplate:
    """Selectors of one generation of the article template."""

    name: str
    marker: str  # XPath that is non-empty only on this generation
    title: str
    body: str
    breadcrumb: str
    editor: str
    # Either a single meta line holding 来源/作者/date, or separate elements for each.
    meta_line: str | None = None
    published: str | None = None
    source: str | None = None
    author: str | None = None


def _article_page(parts: SplitResult, match: re.Match[str], number: int) -> str:
    """Page ``number`` of the article whose URL ``parts`` the profile's ``article_re``
    matched: page 1 is the bare id, later pages ``_02``, ``_03``..."""
    suffix = "" if number == 1 else f"_{number:02d}"
    path = f"{match.group('base')}{suffix}.shtml"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


@dataclass(frozen=True)
class SiteProfile:
    host: str
    root_dir: str  # "/sznews/"
    site_name: str
    home_path: str
    start_url: str
    article_re: re.Pattern[str]
    section_re: re.Pattern[str]
    list_page_re: re.Pattern[str]
    calendar_re: re.Pattern[str]
    image_re: re.Pattern[str]
    requisite_prefixes: tuple[str, ...]
    templates: tuple[ArticleTemplate, ...]
    # Section pages.
    section_breadcrumb: str
    list_items: str
    list_pager_total: str
    # Blocks repeated on every page; links in them are template links.
    template_blocks: tuple[str, ...]
    related_links: str
    maintenance_notice: str
    maintenance_title_xpath: str

    @property
    def short_name(self) -> str:
        """The host's first label (``sznews``): the default first part of WARC file names."""
        return self.host.split(".", 1)[0]

    # -- URL classification ---------------------------------------------------------------

    def kind_of(self, url: str) -> PageKind:
        parts = urlsplit(url)
        path = parts.path
        if self.calendar_re.search(path):
            return PageKind.CALENDAR
        if path in ("", "/") or path == self.home_path:
            return PageKind.HOME
        if self.article_re.match(path):
            return PageKind.ARTICLE
        if self.image_re.match(path) or path.startswith(self.requisite_prefixes):
            return PageKind.REQUISITE
        if self.section_re.match(path):
            return PageKind.SECTION
        return PageKind.OTHER

    def article_page_number(self, url: str) -> int | None:
        m = self.article_re.match(urlsplit(url).path)
        if not m:
            return None
        return int(m.group("page") or 1)

    def article_first_page(self, url: str) -> str:
        """Page 1 of an article: the ``_01`` alias and later pages map to the bare id."""
        parts = urlsplit(url)
        m = self.article_re.match(parts.path)
        return _article_page(parts, m, 1) if m else url

    def article_page_url(self, url: str, number: int) -> str:
        """Page ``number`` (1-based) of the article at ``url`` (any of its pages): page 1 is
        the bare id, later pages ``_02``, ``_03``..."""
        parts = urlsplit(url)
        m = self.article_re.match(parts.path)
        if not m:
            raise ValueError(f"not an article URL: {url}")
        return _article_page(parts, m, number)

    def section_url(self, url: str) -> str:
        """A section's identity: ``dir/`` and its list pages ``index_N`` are ``dir/index.shtml``."""
        parts = urlsplit(url)
        path = parts.path
        m = self.list_page_re.match(path)
        if m:
            path = m.group("dir") + "index.shtml"
        elif path.endswith("/") and path.startswith(self.root_dir) and path != self.root_dir:
            path += "index.shtml"
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))

    def classify(self, url: str) -> tuple[str, PageKind]:
        """The URL to request for ``url`` and what it is; cached, links repeat on every page."""
        return _classify(self, url)

    def canonical_url(self, url: str) -> str:
        """The one URL to request for a resource the site answers under several.

        Host case, default port, fragment and, on the start URL's host, ``http`` versus
        ``https`` never matter; ``dir/`` is ``dir/index.shtml`` and an article's ``_01`` is
        its page 1. List pages ``index_N`` stay themselves.
        """
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port
        netloc = host if port in (None, 80 if scheme == "http" else 443) else f"{host}:{port}"
        if scheme in ("http", "https") and netloc == self.start_netloc:
            # Public copies exist under both schemes: one page, the start URL's scheme.
            scheme = self.start_scheme
        path = parts.path or "/"
        m = self.article_re.match(path)
        if m and m.group("page") in ("01", "1"):
            path = f"{m.group('base')}.shtml"
        elif path.endswith("/") and path.startswith(self.root_dir) and path != self.root_dir:
            path += "index.shtml"
        return urlunsplit((scheme, netloc, path, parts.query, ""))

    def list_page_url(self, section_url: str, number: int) -> str:
        """List page ``number`` (1-based) of a section: ``index.shtml``, ``index_1.shtml``..."""
        base = self.section_url(section_url).rsplit("/", 1)[0]
        return f"{base}/index.shtml" if number == 1 else f"{base}/index_{number - 1}.shtml"

    @property
    def start_scheme(self) -> str:
        return _scheme_and_netloc(self.start_url)[0]

    @property
    def start_netloc(self) -> str:
        return _scheme_and_netloc(self.start_url)[1]

    def starting_at(self, start_url: str) -> SiteProfile:
        """The same site crawled from ``start_url``: its scheme becomes the canonical one.

        ``-a start_url=https://…`` means the operator wants the https copy; requesting the
        http form of every link would archive a different capture of each page.
        """
        if start_url == self.start_url:
            return self
        return replace(self, start_url=start_url)

    def list_page_number(self, url: str) -> int:
        m = self.list_page_re.match(urlsplit(url).path)
        if not m or not m.group("n"):
            return 1
        return int(m.group("n")) + 1


@lru_cache(maxsize=64)
def _scheme_and_netloc(url: str) -> tuple[str, str]:
    """Scheme and netloc (lower case, default port dropped) of a start URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port in (None, 80 if scheme == "http" else 443) else f"{host}:{port}"
    return scheme, netloc


@lru_cache(maxsize=2048)
def _classify(profile: SiteProfile, url: str) -> tuple[str, PageKind]:
    canonical = profile.canonical_url(url)
    kind = profile.kind_of(canonical)
    if kind is PageKind.ARTICLE:
        canonical = profile.article_first_page(canonical)
    return canonical, kind


_ART_TITLE = "//*[self::td or self::div][contains(@class, 'artTitle')]"
_SIDE = "//td[contains(concat(' ', normalize-space(@class), ' '), ' side ')]"

_ZJOL_TEMPLATES = (
    # Sibling sites of the platform put artTitle on a div and the *_baidu ids on
    # elements other than span: the selectors take any of those.
    ArticleTemplate(
        name="table-2008",
        marker=_ART_TITLE,
        title=_ART_TITLE,
        body="//div[@id='Zoom']",
        breadcrumb="//table[contains(@class, 'position')]//a",
        editor="//div[contains(@class, 'editor')]",
        meta_line="//*[self::td or self::div][contains(@class, 'artInfo')]",
    ),
    ArticleTemplate(
        name="div-2016",
        marker="//div[contains(@class, 'contTit')]",
        title="//div[contains(@class, 'contTit')]",
        body="//div[contains(@class, 'contTxt')]",
        breadcrumb="//div[contains(@class, 'position')]//a",
        editor="//div[contains(@class, 'editor')]",
        published="//*[@id='pubtime_baidu']",
        source="//*[@id='source_baidu']",
        author="//*[@id='author_baidu']",
    ),
)


def zjol_county_site(host: str, root_dir: str, site_name: str) -> SiteProfile:
    """A county site of the zjol platform: the platform's URL scheme under its ``host`` and
    ``root_dir`` (``"/sznews/"``), its templates and blocks, and its ``site_name`` (the
    breadcrumb's first link, the ``<title>`` suffix)."""
    if not (root_dir.startswith("/") and root_dir.endswith("/") and len(root_dir) > 2):
        raise ValueError(f"root_dir is a directory such as '/sznews/', not {root_dir!r}")
    root = re.escape(root_dir)
    return SiteProfile(
        host=host,
        root_dir=root_dir,
        site_name=site_name,
        home_path=f"{root_dir}index.shtml",
        start_url=f"http://{host}/",
        article_re=re.compile(
            rf"^(?P<base>{root}system/\d{{4}}/\d{{2}}/\d{{2}}/\d{{9}})"
            r"(?:_(?P<page>\d{2}))?\.shtml$"
        ),
        section_re=re.compile(rf"^{root}(?:[A-Za-z0-9]+/)+(?:index(?:_\d+)?\.shtml)?$"),
        list_page_re=re.compile(
            rf"^(?P<dir>{root}(?:[A-Za-z0-9]+/)+)index(?:_(?P<n>\d+))?\.shtml$"
        ),
        calendar_re=re.compile(r"/calendar\.shtml$"),
        image_re=re.compile(r"^/pic/\d/\d{2}/\d{2}/\d{2}/[\w.-]+\.(?:jpe?g|gif|png)$", re.I),
        requisite_prefixes=(f"{root_dir}css/", f"{root_dir}js/", f"{root_dir}images/", "/pic/"),
        templates=_ZJOL_TEMPLATES,
        section_breadcrumb=(
            "//*[contains(concat(' ', normalize-space(@class), ' '), ' position ')]//a"
        ),
        list_items="//ul[contains(@class, 'listUl')]/li/a",
        list_pager_total="//div[contains(@class, 'fenye')]",
        template_blocks=(
            "//table[contains(@class, 'top')]",
            "//table[contains(@class, 'nav')]",
            _SIDE,
            "//table[contains(@class, 'footer')]",
            "//div[contains(@class, 'links')]",
        ),
        related_links="//div[contains(@class, 'relnews')]//li/a",
        maintenance_notice="网站维护中",
        maintenance_title_xpath="//title",
    )


SZNEWS = zjol_county_site("sznews.zjol.com.cn", "/sznews/", "嵊州新闻网")


def site_profile(settings: Any) -> SiteProfile:
    """The profile the ``SITE_PROFILE`` setting names: a ``SiteProfile``, or the import path
    of one (``"crawler.profile.SZNEWS"``, loaded as Scrapy loads its class settings).

    Components read it once, in ``from_crawler``; unset, it is ``SZNEWS``. A value that is no
    profile is a ``ValueError`` that names the setting, so a crawl never starts on a typo.
    """
    value = settings.get("SITE_PROFILE") or SZNEWS
    if isinstance(value, str):
        try:
            loaded = load_object(value)
        except (ImportError, NameError, ValueError) as exc:
            raise ValueError(f"SITE_PROFILE={value!r} cannot be loaded: {exc}") from exc
    else:
        loaded = value
    if not isinstance(loaded, SiteProfile):
        raise ValueError(
            f"SITE_PROFILE must be a crawler.profile.SiteProfile or the import path of one; "
            f"{value!r} is a {type(loaded).__name__}"
        )
    return loaded
