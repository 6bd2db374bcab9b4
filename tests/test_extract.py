"""Extraction on the site's own pages (tests/samples) gives exactly the expected items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.dedup.maintenance import is_maintenance_page
from crawler.discovery.outlinks import css_links, requisite_links
from crawler.extraction.article import extract_article_page
from crawler.extraction.assembly import assemble_article
from crawler.extraction.conventions import parse_meta_line
from crawler.extraction.page import parse_html
from crawler.extraction.section import extract_section_page
from crawler.profile import SZNEWS

SAMPLES = Path(__file__).parent / "samples"
SITE = SAMPLES / "sznews.zjol.com.cn"
EXPECTED = [
    json.loads(line)
    for line in (SAMPLES / "expected-articles.jsonl").read_text("utf-8").splitlines()
    if line.strip()
]


def sample(url: str) -> bytes:
    return (SITE / url.split("sznews.zjol.com.cn/", 1)[1]).read_bytes()


def page(url: str, content_type: str | None = "text/html"):
    return parse_html(sample(url), url, content_type)


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda e: e["url"].rsplit("/", 1)[1])
def test_sample_article_gives_expected_item(expected):
    pages = [extract_article_page(page(u), SZNEWS) for u in expected["pages"]]
    item = assemble_article(pages)
    assert {k: item[k] for k in expected} == expected
    assert item["problems"] == []


def test_page_one_pager_names_every_page_in_order():
    url = "http://sznews.zjol.com.cn/sznews/system/2009/04/17/010020692.shtml"
    assert extract_article_page(page(url), SZNEWS).page_urls == [
        url,
        url.replace(".shtml", "_02.shtml"),
        url.replace(".shtml", "_03.shtml"),
    ]


def test_later_page_knows_page_one_without_the_01_alias():
    url = "http://sznews.zjol.com.cn/sznews/system/2009/04/17/010020692_03.shtml"
    urls = extract_article_page(page(url), SZNEWS).page_urls
    assert urls[0] == "http://sznews.zjol.com.cn/sznews/system/2009/04/17/010020692.shtml"
    assert urls[-1] == url


def test_related_links_point_at_page_one():
    url = "http://sznews.zjol.com.cn/sznews/system/2009/01/10/010016010.shtml"
    related = extract_article_page(page(url), SZNEWS).related
    assert related[2] == {
        "title": "剡湖街道举行越剧演出",
        "url": "http://sznews.zjol.com.cn/sznews/system/2016/04/21/010131726.shtml",
    }
    assert len(related) == 4


def test_gbk_only_character_survives_a_gb2312_declaration():
    url = "http://sznews.zjol.com.cn/sznews/system/2009/04/17/010020692.shtml"
    parsed = page(url, "text/html; charset=gb2312")
    assert parsed.encoding == "gb18030"
    assert extract_article_page(parsed, SZNEWS).paragraphs[0].startswith("镕基")


def test_banner_page_is_a_real_article_not_maintenance():
    url = "http://sznews.zjol.com.cn/sznews/system/2008/07/24/010298765.shtml"
    assert not is_maintenance_page(page(url), SZNEWS)
    maint = parse_html((SAMPLES / "maintenance.shtml").read_bytes(), url, "text/html")
    assert is_maintenance_page(maint, SZNEWS)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("来源:   作者:    2008年07月24日14:34:53", (None, None, "2008-07-24T14:34:53+08:00")),
        (
            "来源: 嵊州日报  作者: 文字 胡吉 闾高桥 摄影 马玉龙   2009年04月17日18:04:03",
            ("嵊州日报", "文字 胡吉 闾高桥 摄影 马玉龙", "2009-04-17T18:04:03+08:00"),
        ),
        ("作者：记者 胡吉 2010-3-5 08:01", (None, "记者 胡吉", "2010-03-05T08:01:00+08:00")),
        ("来源: 今日嵊州", ("今日嵊州", None, None)),
    ],
)
def test_meta_line_is_split_by_labels(line, expected):
    assert parse_meta_line(line) == expected


def test_image_caption_is_a_paragraph_and_the_caption():
    html = (
        '<html><body><table><tr><td class="artTitle"><h1>T</h1></td></tr></table>'
        '<div id="Zoom"><p>\u3000\u3000一</p>'
        '<p align="center"><img src="/pic/0/10/00/78/1.jpg" /></p>'
        '<p align="center">图为某某</p><p>\u3000\u3000二</p>'
        '<p align="center"><img src="/pic/0/10/00/78/2.jpg" /></p><p>\u3000\u3000三</p></div>'
        "</body></html>"
    ).encode("gb18030")
    url = "http://sznews.zjol.com.cn/sznews/system/2010/01/01/010000001.shtml"
    art = extract_article_page(parse_html(html, url), SZNEWS)
    assert art.paragraphs == ["一", "图为某某", "二", "三"]
    assert art.images == [
        {"url": "http://sznews.zjol.com.cn/pic/0/10/00/78/1.jpg", "caption": "图为某某"},
        {"url": "http://sznews.zjol.com.cn/pic/0/10/00/78/2.jpg", "caption": None},
    ]


def test_broken_page_gives_problems_not_an_exception():
    url = "http://sznews.zjol.com.cn/sznews/system/2010/01/01/010000001.shtml"
    art = extract_article_page(parse_html(b"<html><body><table><tr><td>\xff\xfe", url), SZNEWS)
    assert art.title is None
    assert "no known article template" in art.problems


@pytest.mark.parametrize(
    ("path", "name", "kind", "parent", "list_pages"),
    [
        ("sznews/szzt/index.shtml", "专题频道", "channel", "http://sznews.zjol.com.cn/", 1),
        (
            "sznews/szzt/ggkf30/index.shtml",
            "纪念改革开放三十周年专题报道",
            "topic",
            "http://sznews.zjol.com.cn/sznews/szzt/index.shtml",
            1,
        ),
        (
            "sznews/szzt/ggkf30/qssn/index.shtml",
            "求索三十年",
            "column",
            "http://sznews.zjol.com.cn/sznews/szzt/ggkf30/index.shtml",
            1,
        ),
        (
            "sznews/xwpd/jrsz/szjj/index.shtml",
            "时政经济",
            "column",
            "http://sznews.zjol.com.cn/sznews/xwpd/jrsz/index.shtml",
            2,
        ),
    ],
)
def test_sections(path, name, kind, parent, list_pages):
    url = f"http://sznews.zjol.com.cn/{path}"
    section = extract_section_page(page(url), SZNEWS)
    assert (section.url, section.name, section.kind, section.parent, section.list_pages) == (
        url,
        name,
        kind,
        parent,
        list_pages,
    )


def test_requisites_of_a_page():
    url = "http://sznews.zjol.com.cn/sznews/index.shtml"
    links = requisite_links(page(url))
    assert "http://sznews.zjol.com.cn/sznews/css/style.css" in links
    assert "http://sznews.zjol.com.cn/sznews/js/common.js" in links
    assert "http://sznews.zjol.com.cn/pic/0/10/39/61/10396125_096635.jpg" in links
    assert len(links) == len(set(links))


def test_css_urls():
    css = b"body{background:url(/sznews/images/bg.gif)} @import 'x.css'; .a{b:url(\"c.png\")}"
    assert css_links("http://h/sznews/css/style.css", css) == [
        "http://h/sznews/images/bg.gif",
        "http://h/sznews/css/c.png",
        "http://h/sznews/css/x.css",
    ]


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("http://SZNEWS.zjol.com.cn:80/sznews/szzt/ggkf30/", "http://sznews.zjol.com.cn/sznews/szzt/ggkf30/index.shtml"),
        (
            "http://sznews.zjol.com.cn/sznews/system/2011/12/09/010064538_01.shtml#top",
            "http://sznews.zjol.com.cn/sznews/system/2011/12/09/010064538.shtml",
        ),
        (
            "http://sznews.zjol.com.cn/sznews/xwpd/jrsz/szjj/index_1.shtml",
            "http://sznews.zjol.com.cn/sznews/xwpd/jrsz/szjj/index_1.shtml",
        ),
        ("http://sznews.zjol.com.cn/", "http://sznews.zjol.com.cn/"),
    ],
)
def test_canonical_url(url, canonical):
    assert SZNEWS.canonical_url(url) == canonical
