"""The spider's link decisions on pages of markup no template describes (no reactor)."""

from __future__ import annotations

import scrapy
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from spiders.sznews import SznewsSpider

BASE = "http://sznews.zjol.com.cn/sznews/system/2020/08/04/032652755"


def _spider() -> SznewsSpider:
    crawler = get_crawler(SznewsSpider, {"DEDUP_ENABLED": False})
    return crawler._create_spider()


def _response(url: str, html: str) -> HtmlResponse:
    request = scrapy.Request(url)
    return HtmlResponse(url, body=html.encode("gb18030"), encoding="gb18030", request=request)


def test_every_link_kind_and_requisite_is_requested_from_an_unknown_layout() -> None:
    spider = _spider()
    html = (
        '<html><head><link rel="stylesheet" href="/sznews/css/x2021.css">'
        '<script src="/sznews/js/x2021.js"></script></head><body>'
        '<div class="weird"><a href="/sznews/about/contact.html">联系我们</a>'
        '<a href="https://sznews.zjol.com.cn/sznews/xwpd/">新闻频道</a>'
        f'<a href="{BASE}_03.shtml">3</a></div><img src="/upload/2021/a.png">'
        '<a href="/sznews/xwpd/jrsz/szjj/calendar.shtml?date=2020-01-01">往期回顾</a>'
        '<a href="http://www.zjol.com.cn/">浙江在线</a></body></html>'
    )
    out = list(spider.parse(_response("http://sznews.zjol.com.cn/sznews/about/index.html", html)))
    urls = {r.url for r in out}
    assert urls == {
        "http://sznews.zjol.com.cn/sznews/css/x2021.css",
        "http://sznews.zjol.com.cn/sznews/js/x2021.js",
        "http://sznews.zjol.com.cn/upload/2021/a.png",
        "http://sznews.zjol.com.cn/sznews/about/contact.html",
        "http://sznews.zjol.com.cn/sznews/xwpd/index.shtml",
        BASE + ".shtml",
    }
    # The later page linked from elsewhere is remembered for its article's assembly.
    assert spider.discovery.admission.later_pages[BASE + ".shtml"] == {BASE + "_03.shtml"}


def test_an_article_assembles_later_pages_linked_from_any_block_or_page() -> None:
    spider = _spider()
    spider.discovery.admission.later_pages[BASE + ".shtml"] = {BASE + "_03.shtml"}
    page1 = (
        "<html><body><h2>标题</h2><p>来源：今日嵊州 作者：记者 胡吉 2020年08月04日11:07:00</p>"
        "<div><p>正文一段。</p><p>正文二段。</p></div>"
        f'<span class="x"><a href="{BASE}_02.shtml">下一页</a></span></body></html>'
    )
    out = list(spider.parse_article(_response(BASE + ".shtml", page1)))
    nexts = [r for r in out if isinstance(r, scrapy.Request) and r.cb_kwargs.get("assembly")]
    assert [r.url for r in nexts] == [BASE + "_02.shtml"]
    assembly = nexts[0].cb_kwargs["assembly"]
    assert assembly.known == {1: BASE + ".shtml", 2: BASE + "_02.shtml", 3: BASE + "_03.shtml"}
    assert assembly.pages[1].extracted_by == "text"
