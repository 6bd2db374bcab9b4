"""Pages that are not the site's (crawler/dedup/notsite.py): recognised without knowing their
text, kept out of the WARC and the items, asked for again, handed to the next run."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.dedup.notsite import (
    STATE_FILE,
    NotSiteConfig,
    NotSiteDeferred,
    NotSiteMiddleware,
    NotSiteUnresolved,
    classify_not_site,
    is_not_site_response,
    not_site_filter,
)
from crawler.profile import SZNEWS
from tests.replica.model import HOST_ROOT, Site
from tests.replica.pagefaults import NOT_SITE_PAGES
from tests.replica.server import App

SITE = Site(1, 20)
APP = App(SITE)
ARTICLE = HOST_ROOT + SITE.path(0)


def _page(path: str) -> bytes:
    return APP.route(path, "", HOST_ROOT).body


@pytest.mark.parametrize("kind", sorted(NOT_SITE_PAGES))
def test_pages_that_are_not_the_sites_are_recognised(kind: str) -> None:
    assert classify_not_site(NOT_SITE_PAGES[kind], ARTICLE, "text/html", None, SZNEWS)
    gz = gzip.compress(NOT_SITE_PAGES[kind])
    assert classify_not_site(gz, ARTICLE, "text/html", b"gzip", SZNEWS)


def test_the_sites_own_pages_are_not() -> None:
    paths = [SITE.path(i) for i in range(SITE.n)] + ["/sznews/index.shtml"]
    paths += [s.url_path for s in SITE.sections.values()]
    for path in paths:
        body = _page(path)
        assert not classify_not_site(body, HOST_ROOT + path, "text/html", None, SZNEWS), path
        # Without the site's name, its structure still says it is the site's.
        nameless = body.replace(SZNEWS.site_name.encode("gbk"), b"")
        assert not classify_not_site(nameless, HOST_ROOT + path, "text/html", None, SZNEWS)


def _response(url: str, body: bytes, status: int = 200) -> HtmlResponse:
    return HtmlResponse(url, status=status, body=body, request=Request(url),
                        headers={"Content-Type": "text/html"})


def test_only_200_answers_to_article_and_section_urls_are_judged() -> None:
    challenge = NOT_SITE_PAGES["js_challenge"]
    for url, status, expected in [
        (ARTICLE, 200, True),
        (ARTICLE, 404, False),
        (HOST_ROOT + "/sznews/xwpd/index.shtml", 200, True),
        (HOST_ROOT + "/sznews/css/style.css", 200, False),
        (HOST_ROOT + "/robots.txt", 200, False),
    ]:
        resp = _response(url, challenge, status)
        assert is_not_site_response(resp.request, resp, SZNEWS) is expected, (url, status)
    resp = _response(ARTICLE, challenge)
    assert not_site_filter(SZNEWS)(resp.request, resp) == "not_site_page"


class _Deferrals:
    def __init__(self) -> None:
        self.max_idle_wait: dict[str, float] = {}
        self.scheduled: list[tuple[Request, float, str]] = []

    def schedule(self, request: Request, delay: float, kind: str) -> None:
        self.scheduled.append((request, delay, kind))

    def note_progress(self) -> None:
        pass


def _middleware(tmp_path: Path, retries: int = 1) -> tuple[NotSiteMiddleware, Any, _Deferrals]:
    stats = MemoryStatsCollector(get_crawler())
    deferrals = _Deferrals()
    config = NotSiteConfig(retry_times=retries, retry_delay=5.0, max_delay=60.0, max_wait=10.0)
    mw = NotSiteMiddleware(config, stats, deferrals, tmp_path, profile=SZNEWS)  # type: ignore[arg-type]
    return mw, stats, deferrals


def test_deferred_then_handed_to_the_next_run(tmp_path: Path) -> None:
    mw, stats, deferrals = _middleware(tmp_path, retries=1)
    resp = _response(ARTICLE, NOT_SITE_PAGES["login_form"])
    with pytest.raises(NotSiteDeferred):
        asyncio.run(mw.process_response(resp.request, resp))
    (retry, delay, kind), = deferrals.scheduled
    assert (retry.url, delay, kind, deferrals.max_idle_wait["notsite"]) == (ARTICLE, 5.0,
                                                                           "notsite", 10.0)
    again = _response(ARTICLE, NOT_SITE_PAGES["login_form"])
    again.request = retry
    with pytest.raises(NotSiteUnresolved):
        asyncio.run(mw.process_response(retry, again))
    mw.spider_closed()
    assert json.loads((tmp_path / STATE_FILE).read_text("utf-8"))["urls"] == [
        {"url": ARTICLE, "callback": "parse"}]
    assert stats.get_value("dedup/notsite/seen") == 2
    assert stats.get_value("dedup/notsite/urls") == 1
    assert stats.get_value("dedup/notsite/unresolved") == 1


def test_a_page_that_comes_back_is_passed_on(tmp_path: Path) -> None:
    mw, stats, deferrals = _middleware(tmp_path, retries=2)
    resp = _response(ARTICLE, NOT_SITE_PAGES["empty"])
    with pytest.raises(NotSiteDeferred):
        asyncio.run(mw.process_response(resp.request, resp))
    retry = deferrals.scheduled[0][0]
    good = _response(ARTICLE, _page(SITE.path(0)))
    assert asyncio.run(mw.process_response(retry, good)) is good
    mw.spider_closed()
    assert json.loads((tmp_path / STATE_FILE).read_text("utf-8"))["urls"] == []
    assert stats.get_value("dedup/notsite/recovered") == 1


def test_a_retry_still_waiting_at_the_end_goes_to_the_next_run(tmp_path: Path) -> None:
    mw, stats, _ = _middleware(tmp_path, retries=3)
    resp = _response(ARTICLE, NOT_SITE_PAGES["chinese_error"])
    with pytest.raises(NotSiteDeferred):
        asyncio.run(mw.process_response(resp.request, resp))
    mw.spider_closed()
    assert [e["url"] for e in json.loads((tmp_path / STATE_FILE).read_text())["urls"]] == [
        ARTICLE]


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="DEDUP_NOTSITE"):
        NotSiteConfig(retry_times=-1)


@pytest.mark.parametrize("kind", sorted(NOT_SITE_PAGES))
def test_a_crawl_keeps_them_out_and_fails_on_them(tmp_path: Path, kind: str) -> None:
    from tests.crawling import run_crawl
    from tests.replica.pagefaults import Challenge
    from tests.replica.testing import start_replica

    with start_replica(articles=20, faults=(f"challenge=0.3:{kind}",)) as replica:
        result = run_crawl(tmp_path / "archive", proxy_url=replica.proxy_url, settings={
            "DEDUP_NOTSITE_RETRY_DELAY": "0.1", "DEDUP_NOTSITE_MAX_WAIT": "1"})
        site = replica.site()
    challenge = Challenge(site, 0.3, kind)
    selected = {HOST_ROOT + site.path(i) for i in range(site.n) if challenge.selects(
        site.path(i))}
    report = result.report()
    assert selected and selected <= set(report["not_site_pages"])
    assert all(challenge.selects(url.removeprefix(HOST_ROOT))
               for url in report["not_site_pages"])
    assert report["not_site_unresolved"] == report["not_site_pages"]
    assert not selected & {item["url"] for item in result.items()}
    index = (tmp_path / "archive" / "index.cdxj").read_text("utf-8")
    assert not [url for url in report["not_site_pages"] if f'"url": "{url}"' in index]
    assert all(f'"url": "{item["url"]}"' in index for item in result.items())
    assert report["warc"]["skipped"]["not_site_page"] >= len(report["not_site_pages"])
    assert result.returncode == 1
    assert report["health"]["alerts"][0]["check"] == "not_site_pages"
    state = json.loads((tmp_path / "archive" / "state" / STATE_FILE).read_text("utf-8"))
    assert [e["url"] for e in state["urls"]] == report["not_site_unresolved"]
