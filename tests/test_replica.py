"""Tests of the local replica of 嵊州新闻网: HTTP behaviour, determinism, and fidelity to samples.

The fidelity tests run one small lxml extractor over the real samples and over replica pages:
if it reproduces expected-articles.jsonl on the samples and the replica's expectations on the
replica, a crawler built against the samples will work on the replica unchanged.
"""

from __future__ import annotations

import gzip
import http.client
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest

from tests.replica.expected import (
    article_page_urls,
    expected_articles,
    expected_sections,
    image_urls,
    list_page_urls,
)
from tests.replica.model import HOST_ROOT, Site
from tests.replica.server import MAINTENANCE, NOT_FOUND, ROBOTS, App
from tests.replica.testing import Replica, start_replica
from tests.waiting import wait_until

SAMPLES = Path(__file__).parent / "samples"
SAMPLE_SITE = SAMPLES / "sznews.zjol.com.cn"


# ---- helpers ------------------------------------------------------------------------------
def get(port: int, target: str, headers: dict[str, str] | None = None,
        method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """One raw request (origin-form path, or absolute-form URL for proxy mode)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, target, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def proxied(port: int, url: str, headers: dict[str, str] | None = None):
    return get(port, url, headers)


@pytest.fixture(scope="module")
def replica() -> Iterator[Replica]:
    with start_replica(articles=60, seed=1) as r:
        yield r


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(1, 60)


@pytest.fixture(scope="module")
def app(site: Site) -> App:
    return App(site)


def local_fetch(app: App, root: str = HOST_ROOT) -> Callable[[str], bytes]:
    """Fetch from the in-process app (no sockets): fast for whole-site checks."""

    def fetch(url: str) -> bytes:
        u = urlsplit(url)
        resp = app.route(u.path, u.query, root)
        assert resp.status == 200, url
        return resp.body

    return fetch


def sample_fetch(url: str) -> bytes:
    return (SAMPLE_SITE / urlsplit(url).path.lstrip("/")).read_bytes()


# ---- a sample-driven extractor ------------------------------------------------------------
def _text(el) -> str:
    return "".join(el.itertext()).strip()


def _parse(body: bytes):
    return lxml.html.document_fromstring(body.decode("gb18030"))


def extract(url: str, fetch: Callable[[str], bytes]) -> dict:
    """Extract an article item the way a crawler written against the samples would."""
    doc = _parse(fetch(url))
    pages = [url]
    for a in doc.cssselect("div.pages a, center.fy a"):
        if _text(a).strip("[]").isdigit():
            p = urljoin(url, a.get("href")).replace("_01.shtml", ".shtml")
            if p not in pages:
                pages.append(p)
    if doc.cssselect("td.artTitle h1"):
        title = _text(doc.cssselect("td.artTitle h1")[0])
        info = _text(doc.cssselect("td.artInfo")[0])
        m = re.match(r"来源:(.*?)作者:(.*?)(\d{4})年(\d\d)月(\d\d)日(\d\d:\d\d:\d\d)$", info)
        assert m, info
        source, author = m.group(1).strip(), m.group(2).strip()
        published = f"{m.group(3)}-{m.group(4)}-{m.group(5)}T{m.group(6)}+08:00"
        crumbs = [_text(a) for a in doc.cssselect("table.position a")]
        body_sel = "div#Zoom"
    elif doc.cssselect("div.wzbox h2"):  # the third generation (2019 on)
        title = _text(doc.cssselect("div.wzbox h2")[0])
        info = _text(doc.cssselect("div.wzxx")[0]).replace("\xa0", " ")
        m = re.match(r"来源[:：](.*?)作者[:：](.*?)(\d{4})[年-](\d\d)[月-](\d\d)日? ?"
                     r"(\d\d:\d\d:\d\d)$", info)
        assert m, info
        source, author = m.group(1).strip(), m.group(2).strip()
        published = f"{m.group(3)}-{m.group(4)}-{m.group(5)}T{m.group(6)}+08:00"
        crumbs = [_text(a) for a in doc.cssselect("div.dqwz a")]
        body_sel = "div.wznr"
    else:
        title = _text(doc.cssselect("div.contTit")[0])
        t = re.match(r"(\d{4})年(\d\d)月(\d\d)日(\d\d:\d\d:\d\d)",
                     _text(doc.cssselect("span#pubtime_baidu")[0]))
        published = f"{t.group(1)}-{t.group(2)}-{t.group(3)}T{t.group(4)}+08:00"
        source = _text(doc.cssselect("span#source_baidu")[0]).removeprefix("来源:").strip()
        author = _text(doc.cssselect("span#author_baidu")[0]).removeprefix("作者:").strip()
        crumbs = [_text(a) for a in doc.cssselect("div.position a")]
        body_sel = "div.contTxt"
    editor = _text(doc.cssselect("div.editor, div.zrbj")[0])
    editor = re.sub(r"^(责任)?编辑[:：]", "", editor).strip()
    related = [{"title": _text(a), "url": a.get("href").replace("_01.shtml", ".shtml")}
               for a in doc.cssselect("div.relnews a, div.xgwz a")]
    paras: list[str] = []
    images: list[dict] = []
    for page in pages:
        pdoc = doc if page == url else _parse(fetch(page))
        for p in pdoc.cssselect(body_sel)[0].iter("p"):
            img = p.find("img")
            if img is not None:
                images.append({"url": urljoin(url, img.get("src")), "caption": None})
                continue
            text = _text(p).strip("\u3000 ")
            centred = p.get("align") == "center" or "center" in (p.get("style") or "")
            if centred and images and images[-1]["caption"] is None:
                prev = p.getprevious()
                if prev is not None and prev.find("img") is not None:
                    images[-1]["caption"] = text
            paras.append(text)
    return {
        "url": url, "title": title, "source": source or None, "author": author or None,
        "editor": editor or None, "published": published, "breadcrumb": crumbs,
        "body": "\n".join(paras), "images": images, "pages": pages, "related": related,
    }


def test_extractor_reproduces_sample_expectations() -> None:
    """Guards the extractor itself: on the samples it must give expected-articles.jsonl."""
    lines = (SAMPLES / "expected-articles.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines:
        want = json.loads(line)
        got = extract(want["url"], sample_fetch)
        got.pop("related")
        assert got == want


def test_extractor_reproduces_replica_expectations(app: App) -> None:
    """The same extractor, unchanged, yields exactly the replica's expectations."""
    fetch = local_fetch(app)
    for want in expected_articles(seed=1, articles=60):
        assert extract(want["url"], fetch) == want


def test_fidelity_selectors_of_both_templates(site: Site, app: App) -> None:
    table_sel = ["td.artTitle h1", "td.artInfo", "div#Zoom", "div.editor", "div.relnews",
                 "table.position", "table.nav", "table.footer", "div.picnews", "div.jpzt",
                 "div.shzx"]
    div_sel = ["div.position", "div.contTit", "span#pubtime_baidu", "span#source_baidu",
               "span#author_baidu", "div.contTxt", "div.editor", "div.relnews", "table.nav"]
    samples = {
        "table": sample_fetch(HOST_ROOT + "/sznews/system/2008/08/18/010013797.shtml"),
        "div": sample_fetch(HOST_ROOT + "/sznews/system/2016/02/27/030017792.shtml"),
        "pages": sample_fetch(HOST_ROOT + "/sznews/system/2009/04/17/010020692.shtml"),
    }
    arts = [site.article(i) for i in range(site.n)]
    table = next(a for a in arts if a.generation == "table")
    div = next(a for a in arts if a.generation == "div")
    multi = next(a for a in arts if len(a.pages) > 1 and a.generation != "plain")
    fetch = local_fetch(app)
    for key, sels, art in (("table", table_sel, table), ("div", div_sel, div)):
        for doc in (_parse(samples[key]), _parse(fetch(HOST_ROOT + art.page_path(1)))):
            for sel in sels:
                assert doc.cssselect(sel), (key, sel)
    for body in (samples["pages"], fetch(HOST_ROOT + multi.page_path(1))):
        assert _parse(body).cssselect("div.pages b")
    # Sections: list pages and box pages keep the sample's classes.
    for path in ("/sznews/xwpd/jrsz/szjj/index.shtml", "/sznews/szzt/index.shtml"):
        sample, ours = _parse(sample_fetch(HOST_ROOT + path)), _parse(fetch(HOST_ROOT + path))
        for sel in ("ul.listUl", "div.fenye", "div.box div.hd span.more", "div.calendar"):
            assert bool(sample.cssselect(sel)) == bool(ours.cssselect(sel)), (path, sel)


# ---- determinism --------------------------------------------------------------------------
def test_determinism_in_process() -> None:
    a1, a2, b = App(Site(1, 60)), App(Site(1, 60)), App(Site(2, 60))
    paths = ["/sznews/index.shtml", "/sznews/xwpd/jrsz/szjj/index.shtml",
             Site(1, 60).path(10)]
    for p in paths[:2]:
        assert a1.route(p, "", HOST_ROOT).body == a2.route(p, "", HOST_ROOT).body
    assert a1.route(paths[0], "", HOST_ROOT).body != b.route(paths[0], "", HOST_ROOT).body
    assert a1.route(paths[2], "", HOST_ROOT).body == a2.route(paths[2], "", HOST_ROOT).body


def test_determinism_across_processes(replica: Replica, app: App, site: Site) -> None:
    """The subprocess (own PYTHONHASHSEED) serves the same bytes as an in-process render."""
    for path in ("/sznews/index.shtml", site.path(5), "/sznews/szzt/index.shtml"):
        status, _, body = get(replica.port, path)
        assert status == 200
        assert body == app.route(path, "", f"http://127.0.0.1:{replica.port}").body


# ---- HTTP behaviour -----------------------------------------------------------------------
def test_root_redirect_robots_404(replica: Replica) -> None:
    status, h, _ = get(replica.port, "/")
    assert status == 302 and h["Location"].endswith("/sznews/index.shtml")
    status, h, body = get(replica.port, "/robots.txt")
    assert status == 200 and body == ROBOTS
    assert body == (SAMPLE_SITE / "robots.txt").read_bytes()
    status, h, body = get(replica.port, "/sznews/nope/index.shtml")
    assert status == 404 and body == NOT_FOUND
    assert h["Server"] == "ZJOL/1.22.95"
    assert get(replica.port, "/sznews/system/2008/01/01/000000001.shtml")[0] == 404


def test_latency_delays_every_response_per_connection(site: Site) -> None:
    """`--latency`: each response waits before its status line, on its own connection's
    thread, so concurrent requests overlap (16 at 0.1 s take ~0.1 s, not 1.6 s)."""
    latency = 0.1
    pic = urlsplit(image_urls(site)[0]).path
    with start_replica(latency=latency) as r:
        assert r.latency == latency
        for target in (site.path(2), "/robots.txt", pic, "/sznews/nope/index.shtml",
                       HOST_ROOT + "robots.txt", "http://example.com/"):
            t = time.monotonic()
            status = get(r.port, target)[0]
            assert time.monotonic() - t >= latency, target
            assert status in (200, 404, 502), target
        assert all(x["fault"] is None for x in r.requests())  # latency is not a fault
    # Concurrent requests overlap: 16 at 2 s would take 32 s one after the other.
    slow = 2.0
    with start_replica(latency=slow) as r:
        paths = [site.path(i) for i in range(16)]
        barrier = threading.Barrier(len(paths))
        took: dict[str, float] = {}

        def fetch(path: str) -> None:
            barrier.wait()
            t = time.monotonic()
            assert get(r.port, path)[0] == 200
            took[path] = time.monotonic() - t

        threads = [threading.Thread(target=fetch, args=(p,)) for p in paths]
        t = time.monotonic()
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        elapsed = time.monotonic() - t
        assert sorted(took) == sorted(paths)
        assert min(took.values()) >= slow
        assert elapsed < 8 * slow


def test_origin_and_proxy_links(replica: Replica, site: Site) -> None:
    path = site.path(3)
    _, _, origin = get(replica.port, path)
    _, _, proxy = proxied(replica.port, HOST_ROOT + path)
    here = f"http://127.0.0.1:{replica.port}/".encode()
    assert here in origin and b"http://sznews.zjol.com.cn/" not in origin
    assert b"http://sznews.zjol.com.cn/" in proxy and here not in proxy
    status, _, _ = proxied(replica.port, "http://www.zjol.com.cn/")
    assert status == 502
    # An off-site answer is logged after it is sent: wait for its line.
    log = wait_until(lambda: [r for r in replica.requests()
                              if r["url"] == "http://www.zjol.com.cn/"] and replica.requests(),
                     what="the off-site request in the log")
    off = [r for r in log if r["url"] == "http://www.zjol.com.cn/"]
    assert off and off[0]["status"] == 502 and off[0]["offsite"] and off[0]["via_proxy"]
    mine = [r for r in log if r["url"] == HOST_ROOT + path]
    assert mine and mine[0]["via_proxy"] and mine[0]["status"] == 200
    assert set(mine[0]) >= {"method", "url", "path", "query", "host", "via_proxy", "status",
                            "headers", "bytes"}


def test_aliases(replica: Replica, site: Site) -> None:
    p = site.path(7)
    assert get(replica.port, p)[2] == get(replica.port, p[:-6] + "_01.shtml")[2]
    assert get(replica.port, "/sznews/xwpd/")[2] == get(replica.port, "/sznews/xwpd/index.shtml")[2]
    assert get(replica.port, "/sznews/")[2] == get(replica.port, "/sznews/index.shtml")[2]
    assert get(replica.port, p[:-6] + f"_{site.npages[7] + 1:02d}.shtml")[0] == 404


def test_gzip_only_when_asked(replica: Replica, site: Site) -> None:
    seen_gzip = seen_plain = False
    for i in range(20):
        path = site.path(i)
        _, h0, plain = get(replica.port, path)
        assert "Content-Encoding" not in h0
        _, h1, body = get(replica.port, path, {"Accept-Encoding": "gzip, deflate"})
        if h1.get("Content-Encoding") == "gzip":
            seen_gzip = True
            assert h1["Vary"] == "Accept-Encoding"
            assert gzip.decompress(body) == plain
            assert int(h1["Content-Length"]) == len(body)
        else:
            seen_plain = True
            assert body == plain
    assert seen_gzip and seen_plain


def test_conditional_requests(replica: Replica, site: Site) -> None:
    path = site.path(2)
    status, h, _ = get(replica.port, path)
    assert status == 200 and h["ETag"] and h["Last-Modified"]
    assert get(replica.port, path, {"If-None-Match": h["ETag"]})[0] == 304
    assert get(replica.port, path, {"If-None-Match": '"nope"'})[0] == 200
    assert get(replica.port, path, {"If-Modified-Since": h["Last-Modified"]})[0] == 304
    assert get(replica.port, path, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0] == 200


def test_encoding_and_content_types(replica: Replica, site: Site) -> None:
    ctypes = set()
    gbk_only = False
    for i in range(site.n):
        _, h, body = get(replica.port, site.path(i))
        ctypes.add(h["Content-Type"])
        text = body.decode("gb18030")
        assert 'charset=gb2312' in text
        gbk_only = gbk_only or any(c in text for c in "镕喆堃")
    assert gbk_only
    assert ctypes == {"text/html", "text/html; charset=gb2312"}


def test_templates_banner_and_images(site: Site, app: App) -> None:
    arts = [site.article(i) for i in range(site.n)]
    assert {a.generation for a in arts} == {"table", "div", "plain"}
    plain = sum(a.generation == "plain" for a in arts)
    assert len(arts) / 5 < plain < len(arts) / 2, "about a third in the third markup"
    assert any(len(a.pages) > 1 for a in arts)
    fetch = local_fetch(app)
    banners = sum('class="weihu"' in fetch(HOST_ROOT + a.page_path(1)).decode("gb18030")
                  for a in arts)
    assert 0 < banners < len(arts) / 2
    for url in image_urls(site)[:10]:
        body = fetch(url)
        assert body[:2] == b"\xff\xd8" and body[-2:] == b"\xff\xd9"
    for p in ("/sznews/css/style.css", "/sznews/js/common.js", "/sznews/images/logo.gif",
              "/sznews/images/nopic.gif", "/sznews/images/bg.gif", "/sznews/images/zt_0.gif"):
        assert fetch(HOST_ROOT + p)
    assert b"url(/sznews/images/bg.gif)" in fetch(HOST_ROOT + "/sznews/css/style.css")


def test_calendar_trap(replica: Replica) -> None:
    base = "/sznews/xwpd/jrsz/szjj/calendar.shtml?date="
    for day, prev, nxt in (("1999-03-01", "1999-02-28", "1999-03-02"),
                           ("2031-12-31", "2031-12-30", "2032-01-01")):
        status, _, body = get(replica.port, base + day)
        assert status == 200
        text = body.decode("gb18030")
        assert f"calendar.shtml?date={prev}" in text and f"calendar.shtml?date={nxt}" in text


# ---- maintenance --------------------------------------------------------------------------
def test_maintenance_flap_and_stuck(site: Site) -> None:
    stuck = site.path(1)
    flapping = next(site.path(i) for i in range(site.n) if site.flap_selected(site.path(i)))
    with start_replica(maintenance=["flap=2", f"stuck={stuck}"]) as r:
        for _ in range(2):
            status, h, body = get(r.port, flapping)
            assert body == MAINTENANCE and status in (200, 503)
            if status == 503:
                assert int(h["Retry-After"]) > 0
        status, _, body = get(r.port, flapping)
        assert status == 200 and body != MAINTENANCE
        for _ in range(4):
            assert get(r.port, stuck)[2] == MAINTENANCE
        assert get(r.port, "/robots.txt")[2] == ROBOTS
        assert any(x["maintenance"] for x in r.requests())


def test_maintenance_window() -> None:
    with start_replica(maintenance=["window=0:3"]) as r:
        assert get(r.port, "/sznews/index.shtml")[2] == MAINTENANCE
        # The window ends on the server's clock: ask until it answers normally.
        status, _, body = wait_until(
            lambda: (got := get(r.port, "/sznews/index.shtml"))[0] == 200 and got,
            interval=0.2, what="the end of the maintenance window")
        assert body != MAINTENANCE


# ---- expectations vs server ---------------------------------------------------------------
def test_expectations_match_server(replica: Replica, site: Site) -> None:
    root = f"http://127.0.0.1:{replica.port}"
    for url in article_page_urls(site, root):
        assert get(replica.port, urlsplit(url).path)[0] == 200, url
    sections = expected_sections(site)
    kinds = Counter(s["kind"] for s in sections)
    assert kinds["channel"] == 4 and kinds["column"] and kinds["topic"]
    listed: Counter[str] = Counter()
    for s in sections:
        status, _, body = get(replica.port, urlsplit(s["url"]).path)
        assert status == 200
        doc = _parse(body)
        assert [_text(a) for a in doc.cssselect("table.position a")] == s["breadcrumb"]
        if s["kind"] != "column":
            assert s["list_pages"] == 1 and doc.cssselect("div.box")
            continue
        fenye = _text(doc.cssselect("div.fenye")[0])
        assert fenye.startswith(f"共{s['list_pages']}页")
        assert fenye.endswith("尾页") and ("下一页" in fenye) == (s["list_pages"] > 1)
    for url in list_page_urls(site, root):
        status, _, body = get(replica.port, urlsplit(url).path)
        assert status == 200, url
        items = _parse(body).cssselect("ul.listUl a")
        assert 0 < len(items) <= 20
        listed.update(a.get("href") for a in items)
    assert set(listed) == {root + site.path(i) for i in range(site.n)}
    assert set(listed.values()) == {1}
    assert get(replica.port, "/sznews/xwpd/jrsz/szjj/index_99.shtml")[0] == 404


def test_scale_startup() -> None:
    big = Site(7, 50_000)
    assert big.article.cache_info().currsize == 0  # nothing generated until asked for
    sec = max(big.columns, key=lambda c: len(c.articles))
    body = App(big).route(sec.list_page_path(sec.list_pages - 1), "", HOST_ROOT).body
    assert "尾页".encode("gbk") in body


def test_third_generation_shows_the_real_2020_text_conventions(site: Site, app: App) -> None:
    """The 2019+ markup carries what the real 2020 page's text shows, and none of the
    classes the other two generations (and the crawler's profile) use."""
    fetch = local_fetch(app)
    plain = [a for a in (site.article(i) for i in range(site.n)) if a.generation == "plain"]
    colons, editors = set(), set()
    for a in plain:
        text = fetch(HOST_ROOT + a.page_path(1)).decode("gb18030")
        for foreign in ("artTitle", "contTit", "contTxt", "pubtime_baidu", 'id="Zoom"',
                        "您当前的位置", 'class="pages"', 'class="editor"', "relnews"):
            assert foreign not in text, (a.aid, foreign)
        assert f"<h2>{a.title}</h2>" in text.replace("&quot;", '"')
        assert "综合新闻</a> -- " in text and "[<a " in text and "论坛注册</a>] [" in text
        assert re.search(r">嵊州新闻网</a> &gt;&gt; <a [^>]*>", text)
        meta = re.search(r'<div class="wzxx">(.*?)</div>', text).group(1)
        assert re.match(r"来源[:：].*作者[:：].*\d{4}", meta)
        colons.add(meta[2])
        editors.add(re.search(r'<div class="zrbj">(.*?)[:：]', text).group(1))
    assert colons == {":", "："} and editors == {"编辑", "责任编辑"}
