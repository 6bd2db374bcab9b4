"""The site profile is chosen by the ``SITE_PROFILE`` setting, and every component takes it
from there: a sibling county site of the platform is a new profile value, not new code."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from crawler.profile import SZNEWS, site_profile, zjol_county_site
from tests.conftest import ARTICLES, SEED
from tests.crawling import CrawlResult, run_crawl
from tests.replica.expected import (
    article_page_urls,
    expected_articles,
    expected_sections,
    image_urls,
)
from tests.replica.model import XCNEWS_VARIANT, Site
from tests.replica.testing import Replica, start_replica

SAMPLES = Path(__file__).parent / "samples"
# The same site, but its maintenance pages say something else: the sample maintenance page
# is an ordinary page to it.
UPGRADING = replace(SZNEWS, maintenance_notice="系统升级中")
# A sibling county site of the platform (the replica's made-up xcnews variant): its own
# host, directory, name, and channels and columns of other ids and names.
XCNEWS = zjol_county_site("xcnews.zjol.com.cn", "/xcnews/", "新昌新闻网")
XCNEWS_HOST = "xcnews.zjol.com.cn"


def test_the_project_crawls_sznews_unless_told_otherwise() -> None:
    assert get_project_settings()["SITE_PROFILE"] == "crawler.profile.SZNEWS"
    assert site_profile(get_project_settings()) is SZNEWS
    assert site_profile(Settings()) is SZNEWS  # not set at all


def test_the_setting_is_an_import_path_or_a_profile() -> None:
    assert site_profile(Settings({"SITE_PROFILE": "tests.test_profile.UPGRADING"})) is UPGRADING
    assert site_profile(Settings({"SITE_PROFILE": UPGRADING})) is UPGRADING


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("crawler.profile.NOPE", "cannot be loaded"),
        ("no_such_module.PROFILE", "cannot be loaded"),
        ("SZNEWS", "cannot be loaded"),
        ("crawler.profile.SiteProfile", "is a type"),
        ("crawler.profile.site_profile", "is a function"),
        (42, "is a int"),
    ],
)
def test_anything_else_is_refused_naming_the_setting(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=f"SITE_PROFILE.*{message}"):
        site_profile(Settings({"SITE_PROFILE": value}))


def test_every_component_takes_the_profile_of_the_setting(tmp_path: Path) -> None:
    from crawler.capture.warc import WarcCapture
    from crawler.dedup.maintenance import MaintenanceMiddleware
    from crawler.dedup.notsite import NotSiteMiddleware
    from crawler.incremental.middleware import IncrementalMiddleware
    from spiders.sznews import SznewsSpider

    crawler = get_crawler(SznewsSpider, {"ARCHIVE_DIR": str(tmp_path), **RUN_OWNER,
                                         "SITE_PROFILE": "tests.test_profile.UPGRADING"})
    assert SznewsSpider.from_crawler(crawler).profile is UPGRADING
    assert MaintenanceMiddleware.from_crawler(crawler).profile is UPGRADING
    assert NotSiteMiddleware.from_crawler(crawler).profile is UPGRADING
    assert IncrementalMiddleware.from_crawler(crawler).profile is UPGRADING
    # The WARC capture keeps maintenance pages out by the profile's notice (the home page is
    # not judged as one that is not the site's: third filter).
    assert capture_filters(WarcCapture.from_crawler(crawler)) == [None, None, None]
    sznews = get_crawler(SznewsSpider, {"ARCHIVE_DIR": str(tmp_path / "sznews"), **RUN_OWNER})
    assert capture_filters(WarcCapture.from_crawler(sznews)) == [None, "maintenance", None]


RUN_OWNER = {"ADDONS": {"crawler.run.owner.ArchiveRun": 0}}


def capture_filters(capture) -> list[str | None]:
    """What each capture filter says of the sample maintenance page (a fresh exchange each:
    the verdict is cached on the request)."""
    url = "http://sznews.zjol.com.cn/sznews/index.shtml"
    body = (SAMPLES / "maintenance.shtml").read_bytes()
    verdicts = []
    for capture_filter in capture.filters:
        request = Request(url)
        verdicts.append(capture_filter(request, HtmlResponse(url, body=body, request=request)))
    return verdicts


def test_the_profile_is_no_spider_argument(tmp_path: Path) -> None:
    from spiders.sznews import SznewsSpider

    crawler = get_crawler(SznewsSpider, {"ARCHIVE_DIR": str(tmp_path)})
    with pytest.raises(ValueError, match="SITE_PROFILE setting"):
        SznewsSpider.from_crawler(crawler, profile="crawler.profile.SZNEWS")


ARTICLE = "http://sznews.zjol.com.cn/sznews/system/2009/04/17/010020692"


@pytest.mark.parametrize(
    ("url", "number", "page"),
    [
        (f"{ARTICLE}.shtml", 1, f"{ARTICLE}.shtml"),
        (f"{ARTICLE}.shtml", 2, f"{ARTICLE}_02.shtml"),
        (f"{ARTICLE}_03.shtml", 1, f"{ARTICLE}.shtml"),
        (f"{ARTICLE}_01.shtml", 12, f"{ARTICLE}_12.shtml"),
    ],
)
def test_the_profile_makes_an_articles_page_urls(url: str, number: int, page: str) -> None:
    assert SZNEWS.article_page_url(url, number) == page
    assert SZNEWS.article_page_number(page) == number


def test_warc_files_are_named_after_the_profile_unless_told() -> None:
    from crawler.capture.warc import WarcConfig

    def prefix(**settings: object) -> str:
        project = get_project_settings()
        project.setdict(settings, priority="cmdline")
        return WarcConfig.from_settings(project).prefix

    assert prefix() == "sznews"
    assert prefix(SITE_PROFILE=XCNEWS) == "xcnews"
    assert prefix(SITE_PROFILE=XCNEWS, WARC_PREFIX="county") == "county"


def test_the_profile_makes_a_sections_list_page_urls() -> None:
    column = "http://sznews.zjol.com.cn/sznews/xwpd/xzww/"
    assert [SZNEWS.list_page_url(column, n) for n in (1, 2, 3)] == [
        f"{column}index.shtml", f"{column}index_1.shtml", f"{column}index_2.shtml"]
    assert SZNEWS.list_page_number(f"{column}index_2.shtml") == 3
    with pytest.raises(ValueError, match="not an article"):
        SZNEWS.article_page_url(column, 2)


# -- a sibling site: the same crawler, another profile -----------------------------------------


@pytest.fixture(scope="module")
def xcnews() -> Iterator[Replica]:
    with start_replica(articles=ARTICLES, seed=SEED, variant="xcnews") as server:
        yield server


@pytest.fixture(scope="module")
def xcnews_crawl(xcnews: Replica, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    """`scrapy crawl sznews -s SITE_PROFILE=tests.test_profile.XCNEWS` through the replica as
    the proxy for http://xcnews.zjol.com.cn, as the sznews crawls go through it (conftest)."""
    result = run_crawl(tmp_path_factory.mktemp("xcnews"), proxy_url=xcnews.proxy_url,
                       settings={"SITE_PROFILE": "tests.test_profile.XCNEWS"})
    assert result.returncode == 0, result.output[-5000:]
    return result


@pytest.fixture(scope="module")
def xcnews_site() -> Site:
    return Site(SEED, ARTICLES, variant=XCNEWS_VARIANT)


def warc_uris(result: CrawlResult) -> list[tuple[str, str, str | None]]:
    """(record type, target URI, HTTP status) of every record but warcinfo."""
    out = []
    for path in result.warcs:
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "warcinfo":
                    continue
                status = record.http_headers.get_statuscode() if (
                    record.rec_type == "response" and record.http_headers) else None
                out.append((record.rec_type, record.rec_headers.get_header("WARC-Target-URI"),
                            status))
    return out


def test_a_sibling_sites_articles_come_out_exact(xcnews_crawl, xcnews_site) -> None:
    expected = {a["url"]: a for a in expected_articles(xcnews_site)}
    assert all(urlsplit(url).path.startswith("/xcnews/system/") for url in expected)
    got = xcnews_crawl.items("articles")
    assert Counter(a["url"] for a in got) == Counter(list(expected)), "each exactly once"
    for item in got:
        want = expected[item["url"]]
        assert {k: item[k] for k in want} == want
        assert item.get("problems", []) == [], (item["url"], item["problems"])
        assert item["warc"]["filename"].startswith("xcnews-")


def test_a_sibling_sites_sections_come_out_exact(xcnews_crawl, xcnews_site) -> None:
    expected = {s["url"]: s for s in expected_sections(xcnews_site)}
    assert "http://xcnews.zjol.com.cn/xcnews/news/jrxc/szyw/index.shtml" in expected
    got = xcnews_crawl.items("sections")
    assert Counter(s["url"] for s in got) == Counter(list(expected)), "each exactly once"
    for item in got:
        want = expected[item["url"]]
        assert {k: item[k] for k in want} == want
        assert want["breadcrumb"][0] == "新昌新闻网"


def test_a_sibling_site_is_archived_whole_and_alone(xcnews_crawl, xcnews_site, xcnews) -> None:
    """Every page, image and requisite of the sibling is in its WARCs; nothing of any other
    host is, though its pages link to sznews.zjol.com.cn (友情链接), and the crawl never
    asked for anything but the sibling's own host."""
    records = warc_uris(xcnews_crawl)
    assert {urlsplit(uri).hostname for _, uri, _ in records} == {XCNEWS_HOST}
    captured = {uri for kind, uri, status in records if kind == "response" and status == "200"}
    assert sorted(set(article_page_urls(xcnews_site)) - captured) == []
    assert sorted(set(image_urls(xcnews_site)) - captured) == []
    for requisite in ("css/style.css", "js/common.js", "images/bg.gif", "css/wz2019.css",
                      "js/wz2019.js", "images/line.gif", "images/logo.gif"):
        assert f"http://{XCNEWS_HOST}/xcnews/{requisite}" in captured
    assert "sznews.zjol.com.cn" in XCNEWS_VARIANT.friends  # linked from every home page
    asked = {request["host"] for request in xcnews.requests()}
    assert asked == {XCNEWS_HOST}
    # Its files are named after it without a WARC_PREFIX of its own.
    assert xcnews_crawl.warcs and all(p.name.startswith("xcnews-") for p in xcnews_crawl.warcs)
