"""crawler/discovery's components built directly from plain values (no crawler, no reactor),
and the one-way layering of crawler/extraction."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.discovery.admission import LinkAdmission
from crawler.discovery.carryover import FailedFetches, carried_over
from crawler.discovery.listwalk import ListWalk
from crawler.discovery.outlinks import BlockLink
from crawler.discovery.requests import SiteRequests
from crawler.extraction.page import SectionHead
from crawler.incremental.recheck import FULL_FETCH
from crawler.profile import SZNEWS, PageKind
from crawler.run.context import RunSummary

ROOT = Path(__file__).resolve().parent.parent
SITE = "http://sznews.zjol.com.cn"
ARTICLE = f"{SITE}/sznews/system/2020/08/04/032652755"
HOST = "sznews.zjol.com.cn"


class Stats:
    def __init__(self) -> None:
        self.values: Counter[str] = Counter()

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] += count


class Callbacks:
    """What SiteRequests needs of a spider: its callbacks, by name."""

    def parse(self, response: Any) -> Any: ...
    def parse_section(self, response: Any, overlap: bool = False) -> Any: ...
    def parse_article(self, response: Any, assembly: Any = None) -> Any: ...
    def parse_requisite(self, response: Any) -> Any: ...
    def check_later_page(self, response: Any, first_url: str) -> Any: ...
    def request_failed(self, failure: Any) -> Any: ...


class Schedule:
    """A recheck schedule between full sweeps: ``archived`` URLs are in the archive."""

    full_sweep = False

    def __init__(self, archived: set[str]) -> None:
        self._archived = archived

    def archived(self, url: str) -> bool:
        return url in self._archived

    def due(self, url: str) -> bool:
        return url not in self._archived


def test_the_admission_chain_counts_each_decision() -> None:
    admission = LinkAdmission(SZNEWS, HOST, links=None, schedule=None)
    counts: Counter[str] = Counter()
    seen: set[str] = set()
    page = f"{SITE}/sznews/index.shtml"

    def admit(url: str, **kwargs: Any) -> tuple[str, PageKind] | None:
        return admission.admit(url, page, counts, seen=seen, **kwargs)

    assert admit("mailto:x@example.com") is None
    assert admit("http://www.zjol.com.cn/") is None
    assert admit(f"{ARTICLE}_03.shtml") == (f"{ARTICLE}.shtml", PageKind.ARTICLE)
    assert admit(f"{ARTICLE}.shtml") is None  # the same article, once a page
    assert admit(f"{SITE}/sznews/xwpd/") == (f"{SITE}/sznews/xwpd/index.shtml", PageKind.SECTION)
    assert admit(f"{SITE}/sznews/xwpd/calendar.shtml") is None
    assert admit(f"{SITE}/sznews/about.html") == (f"{SITE}/sznews/about.html", PageKind.OTHER)
    assert counts == Counter({"sznews/links/offsite": 1, "dedup/canonical/skipped": 2,
                              "dedup/in_page/skipped": 1, "dedup/calendar/skipped": 1,
                              "sznews/links/other_followed": 1})
    assert admission.later_pages_of(f"{ARTICLE}.shtml") == [f"{ARTICLE}_03.shtml"]
    admission.forget(f"{ARTICLE}.shtml")
    assert admission.later_pages_of(f"{ARTICLE}.shtml") == []


def test_between_sweeps_only_new_articles_are_due_and_later_list_pages_left_to_the_walk():
    admission = LinkAdmission(SZNEWS, HOST, None, Schedule({f"{ARTICLE}.shtml"}))  # type: ignore[arg-type]
    counts: Counter[str] = Counter()
    page = f"{SITE}/sznews/index.shtml"
    assert admission.admit(f"{ARTICLE}.shtml", page, counts) is None
    assert admission.admit(f"{SITE}/sznews/xwpd/index_2.shtml", page, counts) is None
    assert counts == Counter({"incremental/articles/not_due": 1,
                              "incremental/list_pages/left_to_the_walk": 1})


def test_the_list_walk_stops_one_page_after_a_page_of_archived_articles() -> None:
    admission = LinkAdmission(SZNEWS, HOST, None, Schedule({f"{ARTICLE}.shtml"}))  # type: ignore[arg-type]
    walk = ListWalk(admission, SiteRequests(Callbacks(), SZNEWS, HOST))
    section = SectionHead(f"{SITE}/sznews/xwpd/index.shtml", "x", [], "column", None, 5)
    old = [BlockLink(f"{ARTICLE}.shtml", "old", "div.list#", "f")]
    counts: Counter[str] = Counter()
    page2 = f"{SITE}/sznews/xwpd/index_1.shtml"
    nxt = list(walk.requests_after(page2, section, old, overlap=False, counts=counts))
    assert [(r.url, r.cb_kwargs) for r in nxt] == [
        (f"{SITE}/sznews/xwpd/index_2.shtml", {"overlap": True})]
    page3 = f"{SITE}/sznews/xwpd/index_2.shtml"
    assert list(walk.requests_after(page3, section, old, overlap=True, counts=counts)) == []
    assert counts == Counter({"incremental/list_pages/walked": 2,
                              "incremental/list_pages/skipped": 2})


def _failure(url: str, status: int) -> Failure:
    request = scrapy.Request(url, callback=Callbacks().parse_article)
    failure = Failure(HttpError(Response(url, status=status, request=request), "error"))
    failure.request = request
    return failure


def test_failed_fetches_are_carried_over_to_the_next_run(tmp_path: Path) -> None:
    stats, summary = Stats(), RunSummary()
    failures = FailedFetches(HOST, stats, summary)
    assert failures.record(_failure(f"{ARTICLE}_02.shtml", 500))
    assert failures.record(_failure(f"{SITE}/sznews/gone.shtml", 404))  # counted, not carried
    failures.save(tmp_path)
    assert [e["url"] for e in summary.failed_fetches] == [f"{ARTICLE}_02.shtml"]
    assert stats.values == Counter({"sznews/failed/http_500": 1, "sznews/failed/http_404": 1})
    requests = SiteRequests(Callbacks(), SZNEWS, HOST)
    again = list(carried_over(tmp_path, None, requests, stats))
    # An article is assembled from page 1, every page in full.
    assert [(r.url, r.priority, r.meta.get(FULL_FETCH)) for r in again] == [
        (f"{ARTICLE}.shtml", 100, True)]
    assert stats.values["incremental/failed/carried_over"] == 1


def test_a_request_written_down_for_another_host_or_no_callback_is_not_made() -> None:
    requests = SiteRequests(Callbacks(), SZNEWS, HOST)
    assert requests.written_down("http://www.zjol.com.cn/", "parse", priority=1) is None
    assert requests.written_down(f"{SITE}/x.html", "no_such_callback", priority=1) is None
    later = requests.written_down(f"{ARTICLE}_02.shtml", "check_later_page", priority=1)
    assert later is not None and later.url == f"{ARTICLE}.shtml"
    assert later.callback.__name__ == "parse_article"


def _imports(path: Path) -> list[tuple[str, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.module, alias.name) for alias in node.names]
    return found


def test_extraction_modules_depend_one_way_and_import_no_private_names() -> None:
    order = ["page", "conventions", "template", "text", "article", "section", "assembly"]
    forbidden = {"text": {"template"}, "section": {"article", "assembly"}}
    for i, name in enumerate(order):
        for module, imported in _imports(ROOT / "crawler" / "extraction" / f"{name}.py"):
            assert not imported.startswith("_"), (name, module, imported)
            if module.startswith("crawler.extraction."):
                other = module.rsplit(".", 1)[1]
                assert order.index(other) < i and other not in forbidden.get(name, ()), (
                    f"{name} imports {other}")
    for path in [*(ROOT / "crawler" / "discovery").glob("*.py"), ROOT / "spiders" / "sznews.py"]:
        for module, imported in _imports(path):
            assert not imported.startswith("_"), (path.name, module, imported)
