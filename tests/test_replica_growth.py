"""Tests of the replica's growth (`grow=K`) and corrections (`correct=(PATH,)`), the site changes
between two scheduled crawls: existing article pages stay byte-identical (so revisits get 304 or
the same payload), hub and list pages list the new articles, corrected pages change only by the
correction paragraph and their validators.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.replica.expected import (
    article_page_urls,
    correctable_path,
    corrected_page_urls,
    expected_articles,
    gzipbomb_urls,
    image_urls,
    large_urls,
    list_page_urls,
    new_article_urls,
)
from tests.replica.faults import selected_paths
from tests.replica.model import HOST_ROOT, PER_PAGE, Site, correction_text
from tests.replica.render import Renderer
from tests.replica.server import SITE_MTIME, App, Response
from tests.replica.testing import REPO_ROOT, Replica, start_replica

SEED, N, K = 1, 60, 25
REQUISITES = ["/sznews/css/style.css", "/sznews/js/common.js", "/sznews/images/logo.gif",
              "/robots.txt", "/sznews/search/search.php"]


def _route(app: App, path: str, root: str = HOST_ROOT) -> Response:
    return app.route(path, "", root)


def _paths(site: Site, indices) -> list[str]:
    """Every page path of these articles, plus the `_01` alias of page 1."""
    out = []
    for i in indices:
        out += [site.path(i, n) for n in range(1, site.npages[i] + 1)]
        out.append(site.path(i)[:-6] + "_01.shtml")
    return out


@pytest.fixture(scope="module")
def base() -> Site:
    return Site(SEED, N)


@pytest.fixture(scope="module")
def grown() -> Site:
    return Site(SEED, N, grow=K)


# ---- growth, in process ---------------------------------------------------------------------
@pytest.mark.parametrize(("seed", "n", "k"), [(SEED, N, K), (2, 300, 60), (3, 5, 30)])
def test_base_article_pages_byte_identical_after_growth(seed: int, n: int, k: int) -> None:
    b, g = Site(seed, n), Site(seed, n, grow=k)
    app_b, app_g = App(b), App(g)
    assert Renderer(b).sidebar(HOST_ROOT) == Renderer(g).sidebar(HOST_ROOT)
    paths = _paths(b, range(n)) + [u[len(HOST_ROOT):] for u in image_urls(b)] + REQUISITES
    for root in (HOST_ROOT, "http://127.0.0.1:8080"):
        for p in paths:
            rb, rg = _route(app_b, p, root), _route(app_g, p, root)
            assert rb.status == rg.status == 200, p
            assert (rb.body, rb.mtime, rb.content_type) == (rg.body, rg.mtime, rg.content_type), p
    assert expected_articles(g)[:n] == expected_articles(b)


def test_new_articles_newest_in_existing_columns(base: Site, grown: Site) -> None:
    assert grown.n == N + K and grown.base_n == N and list(grown.new_articles()) == list(
        range(N, N + K))
    assert grown.ids[:N] == base.ids and grown.ts[:N] == base.ts
    assert all(t > base.newest_ts for t in grown.ts[N:])
    assert grown.ts == sorted(grown.ts) and len(set(grown.ts)) == len(grown.ts)
    assert len(set(grown.ids)) == grown.n
    names = {c.path for c in base.columns if c.articles}
    for i in grown.new_articles():
        a = grown.article(i)
        assert a.column.kind == "column" and a.column.path in names
        assert _route(App(grown), grown.path(i)).status == 200
        assert all(j < N for j, _ in a.related)
    # Growth is prefix-stable: grow=K1 is the start of grow=K2.
    assert Site(SEED, N, grow=10).ids == grown.ids[:N + 10]
    items = expected_articles(grown)
    assert len(items) == N + K
    assert [it["url"] for it in items[N:]] == new_article_urls(grown)
    assert new_article_urls(base) == [] and not base.corrected


def test_hub_pages_list_new_articles_newest_first(base: Site, grown: Site) -> None:
    app = App(grown)
    home = _route(app, "/sznews/index.shtml").body.decode("gbk")
    assert grown.path(grown.n - 1) in home
    assert grown.path(grown.n - 1) not in _route(App(base), "/sznews/index.shtml").body.decode(
        "gbk")
    for i in grown.new_articles():
        col = grown.article(i).column
        first = _route(app, col.list_page_path(0)).body.decode("gbk")
        listed = re.findall(r'<li><span class="date">[^<]*</span><a href="([^"]+)"', first)
        newer = [j for j in col.articles if j > i]
        if len(newer) < PER_PAGE:  # newest first: i sits at position len(newer)
            assert listed[len(newer)] == HOST_ROOT + grown.path(i)
        channel = col.lineage[0]
        chan = _route(app, channel.url_path).body.decode("gbk")
        if i in grown.subtree_latest(channel, 6):
            assert grown.path(i) in home
        if i in grown.subtree_latest(col.lineage[1], 5):
            assert grown.path(i) in chan
    # Every hub's Last-Modified is no older than the newest article; base hubs keep SITE_MTIME.
    when = dt.datetime.fromtimestamp(grown.newest_ts, dt.UTC)
    for p in ["/sznews/index.shtml", "/sznews/xwpd/index.shtml", *(
            u[len(HOST_ROOT):] for u in list_page_urls(grown))]:
        assert _route(app, p).mtime >= when > SITE_MTIME
    assert _route(App(base), "/sznews/xwpd/index.shtml").mtime == SITE_MTIME


def test_extra_fault_pages_unmoved_by_growth(base: Site, grown: Site) -> None:
    specs = ["large=2:0.1", "gzipbomb=1"]
    assert large_urls(specs, seed=SEED, articles=N, grow=K) == large_urls(
        specs, seed=SEED, articles=N)
    assert gzipbomb_urls(specs, seed=SEED, articles=N, grow=K) == gzipbomb_urls(
        specs, seed=SEED, articles=N)
    sel = selected_paths("status5xx=0.3", seed=SEED, articles=N, grow=K)
    assert set(selected_paths("status5xx=0.3", seed=SEED, articles=N)) - set(sel) <= {
        "/sznews/index.shtml"} | {u[len(HOST_ROOT):] for u in list_page_urls(base)}


def test_list_pagination_consistent(grown: Site) -> None:
    app = App(grown)
    seen: set[str] = set()
    for col in grown.columns:
        urls: list[str] = []
        for k in range(col.list_pages):
            html = _route(app, col.list_page_path(k)).body.decode("gbk")
            assert f"共{col.list_pages}页" in html and f"<b>{k + 1}</b>" in html
            page = re.findall(r'<li><span class="date">[^<]*</span><a href="([^"]+)"', html)
            assert 0 < len(page) <= PER_PAGE
            urls += page
        assert _route(app, col.list_page_path(col.list_pages)).status == 404
        assert urls == [HOST_ROOT + grown.path(i) for i in col.articles[::-1]]
        dates = [grown.ts[i] for i in col.articles[::-1]]
        assert dates == sorted(dates, reverse=True)
        seen |= set(urls)
    assert seen == {HOST_ROOT + grown.path(i) for i in range(grown.n)}
    assert sum(len(c.articles) for c in grown.columns) == grown.n


# ---- corrections, in process ----------------------------------------------------------------
@pytest.mark.parametrize("multipage", [False, True])
def test_correction_appends_one_paragraph(base: Site, multipage: bool) -> None:
    path = correctable_path(base, multipage=multipage)
    assert path == correctable_path(Site(SEED, N), multipage=multipage)
    corr = Site(SEED, N, grow=K, correct=(path,))
    i = base.find_article(path)[0]
    assert corr.corrected == {i} and (base.npages[i] > 1) == multipage
    last = base.npages[i]
    assert corrected_page_urls(corr) == [HOST_ROOT + base.path(i, last)]
    app_b, app_c = App(base), App(corr)
    a = corr.article(i)
    text = correction_text(a.title, a.when)
    para = f"<p>\u3000\u3000{text}</p>\n".encode("gbk")
    for p in _paths(base, [i]):
        rb, rc = _route(app_b, p), _route(app_c, p)
        if p == base.path(i, last) or (last == 1 and p.endswith("_01.shtml")):
            after = {"table": b'<div class="pages">', "div": b'<div class="pages">',
                     "plain": b'<center class="fy">'}[a.generation] if last > 1 else {
                "table": b'<div class="editor">', "div": b'<div class="editor">',
                "plain": b'<div class="zrbj">'}[a.generation]
            closing = b"</div>" + after
            assert rb.body.count(closing) == 1
            assert rc.body == rb.body.replace(closing, para + closing), p
            assert rc.mtime == rb.mtime + dt.timedelta(days=1) == a.page_mtime(last)
        else:
            assert (rc.body, rc.mtime) == (rb.body, rb.mtime), p
    # Every other article page is untouched; the expectation differs only by the body.
    others = [p for p in _paths(base, range(N)) if base.find_article(p)[0] != i]
    assert all(_route(app_b, p).body == _route(app_c, p).body for p in others)
    old, new = expected_articles(base)[i], expected_articles(corr)[i]
    assert new["body"] == old["body"] + "\n" + text
    assert {k: v for k, v in new.items() if k != "body"} == {
        k: v for k, v in old.items() if k != "body"}


def test_correct_accepts_aliases_and_rejects_unknown(base: Site) -> None:
    path = correctable_path(base, multipage=True)
    i = base.find_article(path)[0]
    for form in (path, path[:-6] + "_01.shtml", base.path(i, 2), HOST_ROOT + path):
        assert Site(SEED, N, correct=[form]).corrected == {i}
    with pytest.raises(ValueError):
        Site(SEED, N, correct=["/sznews/system/2020/01/01/000000001.shtml"])
    with pytest.raises(ValueError):
        correctable_path(Site(SEED, 1), multipage=True)


# ---- over HTTP: validators, gzip, combination with faults --------------------------------------
def _get(port: int, url: str, headers: dict[str, str] | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", url, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


FAULTS = ("malformed=0.2", "charset_conflict=0.2")


@pytest.fixture(scope="module")
def pair(base: Site, grown: Site) -> Iterator[tuple[Replica, Replica, list[str]]]:
    """A base replica and the grown + corrected one, both with the same content faults; the
    grown one also has a new article stuck in maintenance."""
    correct = [correctable_path(base), correctable_path(base, multipage=True)]
    stuck = grown.path(N + 1)
    with start_replica(seed=SEED, articles=N, faults=FAULTS) as rb, start_replica(
            seed=SEED, articles=N, grow=K, correct=correct, faults=FAULTS,
            maintenance=[f"stuck={stuck}"]) as rg:
        yield rb, rg, correct


def test_http_unchanged_pages_identical_and_304(base: Site, pair) -> None:
    rb, rg, correct = pair
    fixed = rg.site().corrected
    assert fixed == {base.find_article(p)[0] for p in correct}
    changed = set(corrected_page_urls(rg.site()))
    urls = [u for u in article_page_urls(base) if u not in changed]
    urls += [HOST_ROOT + p for p in _paths(base, [i for i in range(0, N, 5) if i not in fixed])
             if p.endswith("_01.shtml")]
    urls += [HOST_ROOT + p for p in REQUISITES[:3]] + image_urls(base)[:5]
    for u in urls:
        for ae in ({}, {"Accept-Encoding": "gzip"}):
            sb, hb, bb = _get(rb.port, u, ae)
            sg, hg, bg = _get(rg.port, u, ae)
            hb.pop("Date"), hg.pop("Date")
            assert (sb, hb, bb) == (sg, hg, bg) and sb == 200, u
        cond = [{"If-None-Match": hb["ETag"]}, {"If-Modified-Since": hb["Last-Modified"]}]
        for h in cond:
            assert _get(rg.port, u, h)[0] == 304, (u, h)


def test_http_corrected_pages_and_hubs_revalidate(base: Site, grown: Site, pair) -> None:
    rb, rg, correct = pair
    for u in corrected_page_urls(rg.site()):
        sb, hb, bb = _get(rb.port, u)
        s1, h1, b1 = _get(rg.port, u, {"If-None-Match": hb["ETag"]})
        assert s1 == 200 and h1["ETag"] != hb["ETag"] and len(b1) > len(bb)
        assert "更正" in b1.decode("gb18030", "replace")
        assert "更正" not in bb.decode("gb18030", "replace")
        lm_b = email.utils.parsedate_to_datetime(hb["Last-Modified"])
        assert email.utils.parsedate_to_datetime(h1["Last-Modified"]) == lm_b + dt.timedelta(1)
        assert _get(rg.port, u, {"If-Modified-Since": hb["Last-Modified"]})[0] == 200
        assert _get(rg.port, u, {"If-None-Match": h1["ETag"]})[0] == 304
    # Page 1 of the multi-page corrected article is unchanged: a page-1-only check misses it.
    assert _get(rg.port, HOST_ROOT + correct[1], {"If-None-Match": _get(
        rb.port, HOST_ROOT + correct[1])[1]["ETag"]})[0] == 304
    # Hubs changed: the base validators no longer match, the new list names the new article.
    col = grown.article(N + K - 1).column
    for p in ["/sznews/index.shtml", col.list_page_path(0)]:
        sb, hb, bb = _get(rb.port, HOST_ROOT + p)
        for h in ({"If-None-Match": hb["ETag"]}, {"If-Modified-Since": hb["Last-Modified"]}):
            sg, hg, bg = _get(rg.port, HOST_ROOT + p, h)
            assert sg == 200 and bg != bb, (p, h)
            assert grown.path(N + K - 1).encode() in bg
            assert _get(rg.port, HOST_ROOT + p, {"If-None-Match": hg["ETag"]})[0] == 304
    # New articles are served (the stuck one in maintenance); the base replica has none.
    new = new_article_urls(grown)
    assert _get(rg.port, new[0])[0] == 200 and _get(rb.port, new[0])[0] == 404
    s, _h, body = _get(rg.port, new[1])
    assert s in (200, 503) and "网站维护中" in body.decode("gb18030", "replace")
    logged = {r["url"]: r for r in rg.requests()}
    assert logged[new[1]]["maintenance"] and logged[new[0]]["fault"] in (
        None, "malformed", "charset_conflict", "malformed+charset_conflict")


def test_cli_dump_expected_and_bad_correct(tmp_path: Path, base: Site) -> None:
    path = correctable_path(base)
    cmd = [sys.executable, "-m", "tests.replica", "--seed", str(SEED), "--articles", str(N),
           "--grow", "3", "--correct", path, "--dump-expected", str(tmp_path)]
    subprocess.run(cmd, cwd=REPO_ROOT, check=True)
    lines = (tmp_path / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(x) for x in lines]
    assert items == expected_articles(Site(SEED, N, grow=3, correct=[path]))
    assert len(items) == N + 3 and "更正" in items[base.find_article(path)[0]]["body"]
    bad = subprocess.run(cmd[:-2] + ["--correct", "/nope.shtml"], cwd=REPO_ROOT,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "no article" in bad.stderr
