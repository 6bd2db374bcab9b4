"""What a correct crawl of the replica must yield, in the conventions of
tests/samples/expected-articles.jsonl (so crawler tests can compare item for item).

Faults (tests/replica/faults.py) never change these expectations: a page under `malformed` or
`charset_conflict` still yields its item with a tolerant extractor (decode as GB18030 with
replacement, recovering HTML parser). The extra pages of `large=` and `gzipbomb=` look like
articles but are not: a correct crawl drops them (DOWNLOAD_MAXSIZE), so they are in no list here;
`large_urls()` and `gzipbomb_urls()` name them.

Growth and corrections (`Site(seed, n, grow=K, correct=(PATH,))`) do change them: the K new
articles are items too (`new_article_urls()`), and a corrected article's body ends with its
correction paragraph (`corrected_page_urls()` names the pages whose bytes changed).

Days (`Site(seed, n, day=D, daily=K)`, days.py): `expected_articles(site)` are the items as they
stand at the end of day D (every correction of days <= D in the bodies); `new_on(site, d)`,
`corrected_on(site, d)`, `filed_late_on(site, d)` and `changed_pages_on(site, d)` say what day d
changed.

Every URL is on `site_root`, by default the real host of the site's variant (`Site.root`:
http://sznews.zjol.com.cn, `HOST_ROOT`, unless the site is another variant).
"""

from __future__ import annotations

from collections.abc import Iterator

from .days import changed_pages_on, corrected_on, filed_late_on, new_on
from .faults import gzipbomb_urls, large_urls
from .model import Article, Site, correctable_path

__all__ = [
    "article_item", "article_page_urls", "changed_pages_on", "correctable_path",
    "corrected_on", "corrected_page_urls", "expected_articles", "expected_sections",
    "filed_late_on", "gzipbomb_urls", "image_urls", "iter_articles", "large_urls",
    "list_page_urls", "new_article_urls", "new_on",
]


def _none(value: str) -> str | None:
    return value or None


def article_item(site: Site, a: Article, site_root: str | None = None) -> dict:
    """The cleaned item for one article (plus `related`, from page 1's 相关文章 block)."""
    body = [b.text for page in a.pages for b in page if b.kind in ("p", "cap")]
    site_root = site_root or site.root
    return {
        "url": site_root + a.page_path(1),
        "title": a.title,
        "source": _none(a.source),
        "author": _none(a.author),
        "editor": _none(a.editor),
        "published": a.when.isoformat(),
        "breadcrumb": [site.variant.site_name] + [s.name for s in a.column.lineage],
        "body": "\n".join(body),
        "images": [{"url": site_root + p, "caption": c} for p, c in a.images()],
        "pages": [site_root + a.page_path(n) for n in range(1, len(a.pages) + 1)],
        "related": [{"title": site.title(j), "url": site_root + site.path(j)}
                    for j, _alias in a.related],
    }


def iter_articles(site: Site, site_root: str | None = None) -> Iterator[dict]:
    """Items oldest first, without keeping every article's content cached."""
    for i in range(site.n):
        yield article_item(site, site._article(i), site_root)


def expected_articles(site: Site | None = None, site_root: str | None = None, *, seed: int = 1,
                      articles: int = 60) -> list[dict]:
    """All article items (oldest first). Pass a Site, or seed/articles to build one."""
    site = site or Site(seed, articles)
    return list(iter_articles(site, site_root))


def expected_sections(site: Site | None = None, site_root: str | None = None, *, seed: int = 1,
                      articles: int = 60) -> list[dict]:
    """Every section with its canonical URL, kind, parent and number of list pages."""
    site = site or Site(seed, articles)
    site_root = site_root or site.root
    out = []
    for sec in site.sections.values():
        out.append({
            "url": site_root + sec.url_path,
            "name": sec.name,
            "breadcrumb": [site.variant.site_name] + [s.name for s in sec.lineage],
            "kind": sec.kind,
            "parent": site_root + (sec.parent.url_path if sec.parent else "/"),
            "list_pages": sec.list_pages,
        })
    return out


def article_page_urls(site: Site, site_root: str | None = None) -> list[str]:
    """Every article page URL (canonical forms, no `_01`)."""
    site_root = site_root or site.root
    return [site_root + site.path(i, n) for i in range(site.n) for n in
            range(1, site.npages[i] + 1)]


def list_page_urls(site: Site, site_root: str | None = None) -> list[str]:
    """Every column list page URL (index.shtml, index_1.shtml, ...)."""
    site_root = site_root or site.root
    return [site_root + c.list_page_path(k) for c in site.columns for k in range(c.list_pages)]


def image_urls(site: Site, site_root: str | None = None) -> list[str]:
    """Every /pic/ image referenced by an article body."""
    site_root = site_root or site.root
    return [site_root + p for i in range(site.n) for p, _ in site._article(i).images()]


def new_article_urls(site: Site, site_root: str | None = None) -> list[str]:
    """Page-1 URLs of the articles `grow=K` added (oldest first; empty without growth)."""
    site_root = site_root or site.root
    return [site_root + site.path(i) for i in site.new_articles()]


def corrected_page_urls(site: Site, site_root: str | None = None) -> list[str]:
    """The pages `correct=` changed: the last page of each corrected article (by index)."""
    site_root = site_root or site.root
    return [site_root + site.path(i, site.npages[i]) for i in sorted(site.corrected)]
