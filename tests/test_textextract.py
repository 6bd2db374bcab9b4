"""The text-convention fallback: pages no template describes still come out right."""

from __future__ import annotations

import pytest

from crawler.extraction.article import extract_article_page, extract_by_text
from crawler.extraction.assembly import assemble_article
from crawler.extraction.conventions import parse_meta_line
from crawler.extraction.page import parse_html
from crawler.extraction.text import find_meta_line
from crawler.profile import SZNEWS

BASE = "http://sznews.zjol.com.cn/sznews/system/2020/08/04/032652755"
URL = BASE + ".shtml"

# Meta lines as the text of real pages shows them (SITE.md), and the variants the
# platform's sibling sites write (full-width colons, either order, ISO dates).
META_LINES = [
    ("来源:嵊州新闻网-今日嵊州 作者:文字 胡吉 闾高桥 摄影 马玉龙 吴燕钧 2020年08月04日11:07:00",
     ("嵊州新闻网-今日嵊州", "文字 胡吉 闾高桥 摄影 马玉龙 吴燕钧", "2020-08-04T11:07:00+08:00")),
    ("来源: 嵊州新闻网  作者:   2008年11月04日11:13:50",
     ("嵊州新闻网", None, "2008-11-04T11:13:50+08:00")),
    ("来源:  作者:   2008年07月24日14:34:53", (None, None, "2008-07-24T14:34:53+08:00")),
    ("来源：嵊州日报 作者：记者 胡吉 2020年08月04日 11:07:00",
     ("嵊州日报", "记者 胡吉", "2020-08-04T11:07:00+08:00")),
    ("作者：记者 王喆\u00a0\u00a0来源：今日嵊州\u00a0\u00a02021-03-05 08:01:02",
     ("今日嵊州", "记者 王喆", "2021-03-05T08:01:02+08:00")),
    ("2016年02月27日09:12:40 来源:嵊州新闻网 作者:通讯员 李堃 钱晓峰",
     ("嵊州新闻网", "通讯员 李堃 钱晓峰", "2016-02-27T09:12:40+08:00")),
    ("来源：嵊州市融媒体中心\u3000作者：\u30002019-11-02 18:07:07",
     ("嵊州市融媒体中心", None, "2019-11-02T18:07:07+08:00")),
]


@pytest.mark.parametrize(("line", "expected"), META_LINES, ids=range(len(META_LINES)))
def test_meta_line_table(line: str, expected: tuple) -> None:
    assert parse_meta_line(line) == expected


@pytest.mark.parametrize(("line", "expected"), META_LINES, ids=range(len(META_LINES)))
def test_meta_line_is_found_in_any_markup(line: str, expected: tuple) -> None:
    html = (f"<html><body><div class='x'><p>来源不明的说法</p></div><h1>标题</h1>"
            f"<div><font color='#666'>{line}</font></div><p>正文</p></body></html>")
    page = parse_html(html.encode("gb18030"), URL)
    meta = find_meta_line(page)
    assert meta is not None and meta.tag == "font"
    assert parse_meta_line(meta.text_content()) == expected


def _page(n: int) -> bytes:
    """A 2020 article page written from the real page's text, in markup no template of the
    profile (and not the replica's third generation either) describes."""
    pager = (f'<div class="page-nav"><a href="{BASE}_01.shtml">1</a> <a href="{BASE}_02.shtml">'
             f'2</a> <a href="{BASE}_02.shtml">下一页</a></div>') if n == 1 else (
             f'<div class="page-nav"><a href="{BASE}_01.shtml">1</a> 2</div>')
    body = (
        "<p>\u3000\u3000市领导深入甘霖、长乐等乡镇，实地察看重点工程建设情况。</p>"
        '<p style="TEXT-ALIGN: center"><img src="/pic/0/32/65/27/32652755_1.jpg" /></p>'
        '<p style="TEXT-ALIGN: center">图为活动现场</p>'
        "<p>\u3000\u3000今年以来，我市领带产业保持平稳增长，规模经营面积不断扩大。</p>"
        if n == 1 else
        "<p>\u3000\u3000入夏以来，我市持续高温，电力部门全力保障居民用电。</p>"
    )
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        "<title>我市召开重点工程推进会_嵊州新闻网</title></head><body>"
        '<div id="hd"><a href="http://sznews.zjol.com.cn/"><img src="/sznews/images/logo.gif">'
        "</a></div>"
        '<ul id="nav"><li><a href="http://sznews.zjol.com.cn/">首 页</a> |</li>'
        '<li><a href="/sznews/xwpd/">新闻频道</a> |</li><li><a href="/sznews/xwpd/jrsz/">'
        "今日嵊州</a> |</li></ul>"
        '<div id="nav2"><a href="/sznews/xwpd/">综合新闻</a> -- <a href="/sznews/xwpd/jrsz/">'
        '今日嵊州</a> -- <a href="/sznews/xwpd/xzww/">乡镇网闻</a></div>'
        '<div id="user">[<a href="http://bbs.zjol.com.cn/reg">论坛注册</a>] '
        '[<a href="http://bbs.zjol.com.cn/login">登录</a>]</div>'
        '<div id="where"><span><a href="http://sznews.zjol.com.cn/">嵊州新闻网</a></span> &gt;&gt; '
        '<span><a href="/sznews/xwpd/">新闻频道</a></span> &gt;&gt; '
        '<span><a href="/sznews/xwpd/jrsz/">今日嵊州</a></span> &gt;&gt; '
        '<span><a href="/sznews/xwpd/jrsz/szjj/">时政经济</a></span></div>'
        '<div id="article"><h3 class="headline">我市召开重点工程推进会</h3>'
        '<p class="byline">来源：嵊州新闻网-今日嵊州 作者：文字 胡吉 闾高桥 摄影 马玉龙 吴燕钧 '
        "2020年08月04日11:07:00</p>"
        f'<div id="text">{body}{pager}</div>'
        "<p>【责任编辑：钱晓峰】</p></div>"
        '<div id="more"><b>相关文章</b><ul><li><a href="/sznews/system/2019/11/02/030011467_01'
        '.shtml">甘霖镇党组织书记集中培训</a></li></ul></div>'
        '<div id="side"><h3>图片新闻</h3><ul><li><a href="/sznews/system/2018/01/21/'
        '030011131.shtml">下王镇来料加工助农增收</a></li></ul></div>'
        "</body></html>"
    ).encode("gb18030")


def test_a_page_matching_no_template_comes_out_right_through_the_text() -> None:
    pages = [extract_article_page(parse_html(_page(n), url), SZNEWS)
             for n, url in ((1, URL), (2, BASE + "_02.shtml"))]
    assert [p.template for p in pages] == [None, None]
    assert pages[0].page_urls == [URL, BASE + "_02.shtml"]
    item = assemble_article(pages)
    assert item == {
        "url": URL,
        "title": "我市召开重点工程推进会",
        "source": "嵊州新闻网-今日嵊州",
        "author": "文字 胡吉 闾高桥 摄影 马玉龙 吴燕钧",
        "editor": "钱晓峰",
        "published": "2020-08-04T11:07:00+08:00",
        "breadcrumb": ["嵊州新闻网", "新闻频道", "今日嵊州", "时政经济"],
        "body": "市领导深入甘霖、长乐等乡镇，实地察看重点工程建设情况。\n图为活动现场\n"
                "今年以来，我市领带产业保持平稳增长，规模经营面积不断扩大。\n"
                "入夏以来，我市持续高温，电力部门全力保障居民用电。",
        "images": [{"url": "http://sznews.zjol.com.cn/pic/0/32/65/27/32652755_1.jpg",
                    "caption": "图为活动现场"}],
        "pages": [URL, BASE + "_02.shtml"],
        "related": [{"title": "甘霖镇党组织书记集中培训",
                     "url": "http://sznews.zjol.com.cn/sznews/system/2019/11/02/030011467.shtml"}],
        "extracted_by": "text",
        "problems": [],
    }


def test_a_template_marker_with_empty_fields_falls_back_to_the_text() -> None:
    html = _page(1).replace(b'<div id="article">', b'<div id="article"><div class="contTit">'
                            b"</div>")
    page = extract_article_page(parse_html(html, URL), SZNEWS)
    assert page.extracted_by == "text"
    assert page.title == "我市召开重点工程推进会" and page.published
    assert page.problems == []


def test_without_title_heading_the_title_tag_serves() -> None:
    html = _page(1).replace(b'<h3 class="headline">', b'<div class="headline">').replace(
        "推进会</h3>".encode("gb18030"), "推进会</div>".encode("gb18030"))
    assert extract_by_text(parse_html(html, URL), SZNEWS).title == "我市召开重点工程推进会"


def test_what_the_text_cannot_find_is_named_in_problems() -> None:
    html = ("<html><head><title>只有标题-嵊州新闻网</title></head>"
            "<body><p>一段话。</p></body></html>")
    page = extract_article_page(parse_html(html.encode("gb18030"), URL), SZNEWS)
    assert page.extracted_by == "text"
    assert page.title == "只有标题"
    assert page.problems[0] == "no known article template"
    assert {"text: no meta line (source, author, published)", "text: no breadcrumb",
            "text: no editor label", "no publication date"} <= set(page.problems)


def test_loosened_template_selectors() -> None:
    """artTitle on a div and the *_baidu ids on any element, as sibling sites write them."""
    table = ('<html><body><div class="artTitle"><h1>标题甲</h1></div><div class="artInfo">'
             "来源： 嵊州日报 作者： 记者 胡吉 2010年03月05日08:01:02</div>"
             '<div id="Zoom"><p>正文甲</p></div></body></html>')
    div = ('<html><body><div class="contTit">标题乙</div><em id="pubtime_baidu">'
           '2017年01月02日03:04:05</em><em id="source_baidu">来源：今日嵊州</em>'
           '<em id="author_baidu">作者：记者 王喆</em><div class="contTxt"><p>正文乙</p></div>'
           "</body></html>")
    a = extract_article_page(parse_html(table.encode("gb18030"), URL), SZNEWS)
    b = extract_article_page(parse_html(div.encode("gb18030"), URL), SZNEWS)
    assert (a.extracted_by, a.title, a.source, a.author, a.published) == (
        "table-2008", "标题甲", "嵊州日报", "记者 胡吉", "2010-03-05T08:01:02+08:00")
    assert (b.extracted_by, b.title, b.source, b.author, b.published) == (
        "div-2016", "标题乙", "今日嵊州", "记者 王喆", "2017-01-02T03:04:05+08:00")


@pytest.mark.parametrize(
    ("start", "url", "canonical"),
    [
        ("http://sznews.zjol.com.cn/", "https://sznews.zjol.com.cn/sznews/xwpd/",
         "http://sznews.zjol.com.cn/sznews/xwpd/index.shtml"),
        ("http://sznews.zjol.com.cn/", "https://SZNEWS.zjol.com.cn:443/sznews/system/2020/08/04/"
         "032652755_01.shtml", URL),
        ("https://sznews.zjol.com.cn/", "http://sznews.zjol.com.cn:80/sznews/index.shtml",
         "https://sznews.zjol.com.cn/sznews/index.shtml"),
        ("https://sznews.zjol.com.cn/", "https://sznews.zjol.com.cn/pic/0/1.jpg",
         "https://sznews.zjol.com.cn/pic/0/1.jpg"),
        # Other hosts keep their scheme: only the site's own copies are one page.
        ("http://sznews.zjol.com.cn/", "https://www.zjol.com.cn/", "https://www.zjol.com.cn/"),
        ("http://sznews.zjol.com.cn/", "https://sznews.zjol.com.cn:8443/x",
         "https://sznews.zjol.com.cn:8443/x"),
    ],
)
def test_both_schemes_are_one_page(start: str, url: str, canonical: str) -> None:
    profile = SZNEWS.starting_at(start)
    assert profile.canonical_url(url) == canonical
    assert profile.classify(url)[0] == canonical


def test_the_spider_takes_the_scheme_of_its_start_url() -> None:
    from spiders.sznews import SznewsSpider

    http = SznewsSpider(profile=SZNEWS)
    https = SznewsSpider(start_url="https://sznews.zjol.com.cn/", profile=SZNEWS)
    link = "https://sznews.zjol.com.cn/sznews/xwpd/"
    assert http.profile.classify(link)[0] == "http://sznews.zjol.com.cn/sznews/xwpd/index.shtml"
    assert https.profile.classify(link.replace("https:", "http:"))[0] == (
        "https://sznews.zjol.com.cn/sznews/xwpd/index.shtml")


def test_a_template_that_finds_some_fields_keeps_them() -> None:
    """A matching template without a meta line keeps its title and body; the text fills
    nothing it could not, and the date still missing is named."""
    html = ('<html><body><table><tr><td class="artTitle"><h1>标题丙</h1></td></tr></table>'
            '<div id="Zoom"><p>\u3000\u3000正文丙</p></div></body></html>').encode("gb18030")
    page = extract_article_page(parse_html(html, URL), SZNEWS)
    assert (page.template, page.extracted_by, page.title, page.paragraphs) == (
        "table-2008", "table-2008", "标题丙", ["正文丙"])
    assert "no publication date" in page.problems
    assert "text: no title" not in page.problems


def test_lazy_and_responsive_images_are_requisites() -> None:
    from crawler.discovery.outlinks import requisite_links

    html = ('<html><body><img src="/a.gif" data-original="/pic/b.jpg">'
            '<img data-src="/pic/c.jpg" srcset="/pic/d.jpg 1x, /pic/e.jpg 2x"></body></html>')
    assert requisite_links(parse_html(html.encode(), URL)) == [
        f"http://sznews.zjol.com.cn{p}" for p in ("/a.gif", "/pic/c.jpg", "/pic/b.jpg",
                                                  "/pic/d.jpg", "/pic/e.jpg")]
