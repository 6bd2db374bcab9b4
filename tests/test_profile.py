"""The site profile is chosen by the ``SITE_PROFILE`` setting, and every component takes it
from there."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from crawler.profile import SZNEWS, site_profile

SAMPLES = Path(__file__).parent / "samples"
# The same site, but its maintenance pages say something else: the sample maintenance page
# is an ordinary page to it.
UPGRADING = replace(SZNEWS, maintenance_notice="系统升级中")


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
    from crawler.dedup.maintenance import MaintenanceMiddleware
    from crawler.extensions.warc import WarcCapture
    from crawler.incremental import IncrementalMiddleware
    from spiders.sznews import SznewsSpider

    crawler = get_crawler(SznewsSpider, {"ARCHIVE_DIR": str(tmp_path),
                                         "SITE_PROFILE": "tests.test_profile.UPGRADING"})
    assert SznewsSpider.from_crawler(crawler).profile is UPGRADING
    assert MaintenanceMiddleware.from_crawler(crawler).profile is UPGRADING
    assert IncrementalMiddleware.from_crawler(crawler).profile is UPGRADING
    # The WARC capture keeps maintenance pages out by the profile's notice.
    assert capture_filters(WarcCapture.from_crawler(crawler)) == [None, None]
    sznews = get_crawler(SznewsSpider, {"ARCHIVE_DIR": str(tmp_path / "sznews")})
    assert capture_filters(WarcCapture.from_crawler(sznews)) == [None, "maintenance"]


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


def test_the_profile_makes_a_sections_list_page_urls() -> None:
    column = "http://sznews.zjol.com.cn/sznews/xwpd/xzww/"
    assert [SZNEWS.list_page_url(column, n) for n in (1, 2, 3)] == [
        f"{column}index.shtml", f"{column}index_1.shtml", f"{column}index_2.shtml"]
    assert SZNEWS.list_page_number(f"{column}index_2.shtml") == 3
    with pytest.raises(ValueError, match="not an article"):
        SZNEWS.article_page_url(column, 2)
