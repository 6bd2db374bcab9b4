"""Tests of the replica's day model (`Site(seed, n, day=D, daily=K)`, tests/replica/days.py): the
site scheduled runs meet day after day. Each day adds news, corrects a day-old, a five-day-old
and now and then a years-old article, and files an article late under an old date; everything
else stays byte-identical from one day to the next (unless the picture box is live), so a
crawler's revisits can be judged page by page. In process where possible, one subprocess for the
server modes and one for the CLI.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.extraction.article import extract_article_page
from crawler.extraction.assembly import assemble_article
from crawler.extraction.page import parse_html
from crawler.profile import SZNEWS
from tests.replica.days import DAY0, run_time
from tests.replica.expected import (
    changed_pages_on,
    corrected_on,
    expected_articles,
    filed_late_on,
    image_urls,
    list_page_urls,
    new_on,
)
from tests.replica.model import HOST_ROOT, PER_PAGE, Site, correction_text
from tests.replica.render import Renderer
from tests.replica.server import SITE_MTIME, App, Response
from tests.replica.testing import REPO_ROOT, Replica, start_replica

SEED, N, D, K = 1, 60, 12, 6
REQUISITES = ["/sznews/css/style.css", "/sznews/js/common.js", "/sznews/images/logo.gif",
              "/robots.txt", "/sznews/search/search.php"]
DAY = dt.timedelta(days=1)


def _route(app: App, path: str, root: str = HOST_ROOT) -> Response:
    return app.route(path, "", root)


def _path(url: str) -> str:
    return urlsplit(url).path


def _article_paths(site: Site) -> list[str]:
    """Every article page path, plus the `_01` alias of page 1."""
    out = []
    for i in range(site.n):
        out += [site.path(i, n) for n in range(1, site.npages[i] + 1)]
        out.append(site.path(i)[:-6] + "_01.shtml")
    return out


def _hub_paths(site: Site) -> list[str]:
    return ["/sznews/index.shtml", *(s.url_path for s in site.sections.values()),
            *(_path(u) for u in list_page_urls(site))]


@pytest.fixture(scope="module")
def days() -> list[Site]:
    """The same site on days 0..D."""
    return [Site(SEED, N, day=d, daily=K) for d in range(D + 1)]


# ---- the calendar ---------------------------------------------------------------------------
def test_day_zero_is_the_plain_site() -> None:
    plain, zero = Site(SEED, N), Site(SEED, N, day=0, daily=K)
    assert (zero.ids, zero.ts, zero.col, zero.npages) == (plain.ids, plain.ts, plain.col,
                                                         plain.npages)
    app_p, app_z = App(plain), App(zero)
    paths = _article_paths(plain) + _hub_paths(plain) + REQUISITES
    paths += [_path(u) for u in image_urls(plain)]
    for p in paths:
        rp, rz = _route(app_p, p), _route(app_z, p)
        assert (rp.status, rp.body, rp.mtime) == (rz.status, rz.body, rz.mtime), p
    assert expected_articles(zero) == expected_articles(plain)
    assert new_on(zero, 0) == [HOST_ROOT + plain.path(i) for i in range(N)]
    assert corrected_on(zero, 0) == filed_late_on(zero, 0) == []
    with pytest.raises(ValueError):
        new_on(zero, 1)
    with pytest.raises(ValueError):
        Site(SEED, N, grow=3, day=2, daily=K)


def test_events_happen_within_their_day(days: list[Site]) -> None:
    assert DAY0.astimezone(dt.UTC) == SITE_MTIME
    site = days[D]
    assert max(site.ts[:N]) < DAY0.timestamp()
    for day in site.days[1:]:
        d = day.number
        start, end = DAY0 + d * DAY, DAY0 + (d + 1) * DAY
        assert start < run_time(d) < end and run_time(d) == start + dt.timedelta(hours=23)
        assert len(day.new) == K and all(start <= site.date(i) < run_time(d) for i in day.new)
        for i in day.late:
            filed = dt.datetime.fromtimestamp(site.filed[i], dt.UTC)
            assert start <= filed < run_time(d)
            assert 10 <= (start - site.date(i).replace(hour=0, minute=0, second=0)).days <= 30
        for i in day.corrected:
            assert any(start <= c < run_time(d) for c in site.corrections[i])


def test_days_are_prefix_stable(days: list[Site]) -> None:
    last = days[D]
    for d, site in enumerate(days):
        assert site.ids == last.ids[:site.n] and site.ts == last.ts[:site.n]
        assert site.days == last.days[:d + 1]
        for i, fixes in site.corrections.items():
            assert last.corrections[i][:len(fixes)] == fixes
        assert new_on(site, d) == new_on(last, d) and corrected_on(site, d) == corrected_on(
            last, d)
        assert site.n == N + d * K + d // 5


# ---- what changes from one day to the next ------------------------------------------------
@pytest.mark.parametrize("live", [False, True], ids=["static", "live_picbox"])
def test_next_day_changes_only_what_it_should(days: list[Site], live: bool) -> None:
    root = HOST_ROOT
    for d in range(D):
        before, after = days[d], days[d + 1]
        app_b, app_a = App(before, live_picbox=live), App(after, live_picbox=live)
        changed = {_path(u) for u in changed_pages_on(after, d + 1)}
        fixed = {after.find_article(p)[0] for p in changed}
        side_b = Renderer(before, live).sidebar(root).encode("gbk")
        side_a = Renderer(after, live).sidebar(root).encode("gbk")
        assert (side_b != side_a) == live
        for p in _article_paths(before) + REQUISITES + [_path(u) for u in image_urls(before)]:
            rb, ra = _route(app_b, p, root), _route(app_a, p, root)
            assert rb.status == ra.status == 200, p
            found = before.find_article(p)
            last = found is not None and found[1] == before.npages[found[0]]
            if found and found[0] in fixed and last:
                a = after.article(found[0])
                para = correction_text(a.title, a.when, a.corrected_at)
                assert para.encode("gbk") in ra.body and para.encode("gbk") not in rb.body
                fixed_at = max(a.corrected_at, app_a.picbox_mtime) if live else a.corrected_at
                assert ra.mtime == fixed_at > rb.mtime, p
            elif live and rb.content_type == "text/html" and p != "/robots.txt":
                assert ra.body != rb.body and rb.body.replace(side_b, side_a) == ra.body, p
                assert ra.mtime >= rb.mtime, p
            else:
                assert (rb.body, rb.mtime) == (ra.body, ra.mtime), p
        for u in new_on(after, d + 1):
            assert _route(app_b, _path(u)).status == 404 and _route(app_a, _path(u)).status == 200
        # The hubs list the day's news and say so in their Last-Modified.
        home = _route(app_a, "/sznews/index.shtml")
        assert home.mtime > _route(app_b, "/sznews/index.shtml").mtime
        assert after.path(after.days[d + 1].new[-1]).encode() in home.body
        # Items: the day's new ones, and the corrected ones' bodies; nothing else moves.
        old, new = expected_articles(before), expected_articles(after)
        assert new[:len(old)] == [
            {**it, "body": new[i]["body"]} if i in fixed else it for i, it in enumerate(old)]
        assert all(new[i]["body"].startswith(old[i]["body"] + "\n") for i in fixed)


def test_corrections_of_day_old_five_day_old_and_old_articles(days: list[Site]) -> None:
    site = days[D]
    ages: dict[int, set[int]] = {}
    for day in site.days[1:]:
        d = day.number
        ages[d] = set()
        for i in day.corrected:
            age = (DAY0 + d * DAY - site.date(i)).days + 1
            ages[d].add(age if age in (1, 5) else 365 if age > 365 else age)
            assert corrected_on(site, d).count(HOST_ROOT + site.path(i)) == 1
    for d in range(2, D + 1):
        want = {1} | ({5} if d >= 6 else set()) | ({365} if d % 7 == 0 else set())
        assert ages[d] == want, d
    assert ages[1] == set()
    fixed = [i for day in site.days for i in day.corrected]
    assert any(site.npages[i] > 1 for i in fixed) and any(site.npages[i] == 1 for i in fixed)
    # Corrections accumulate: one distinct paragraph per correction, on the last page.
    twice = [i for i, c in site.corrections.items() if len(c) > 1]
    assert twice
    for i, fixes in site.corrections.items():
        a = site.article(i)
        paras = [correction_text(a.title, a.when, c) for c in fixes]
        assert [b.text for b in a.pages[-1][-len(paras):]] == paras
        assert len(set(paras)) == len(paras)
        assert a.page_mtime(len(a.pages)) == fixes[-1]


def test_filed_late_sits_beyond_list_page_one() -> None:
    site = Site(SEED, 500, day=D, daily=20)
    app = App(site)
    late = [(day.number, i) for day in site.days for i in day.late]
    assert [d for d, _ in late] == [5, 10]
    for d, i in late:
        url = HOST_ROOT + site.path(i)
        assert filed_late_on(site, d) == [url] and url in new_on(site, d)
        col = site.columns[site.col[i]]
        first = _route(app, col.list_page_path(0)).body.decode("gbk")
        assert site.path(i) not in first
        k = (len(col.articles) - 1 - col.articles.index(i)) // PER_PAGE
        assert k >= 1 and site.path(i) in _route(app, col.list_page_path(k)).body.decode("gbk")
        dates = [site.ts[j] for j in col.articles]
        assert dates == sorted(dates)
        a = site.article(i)
        assert a.page_mtime(1) == a.filed > a.when
        assert (DAY0 + d * DAY).date() > a.when.date()
        assert site.path(i).startswith(f"/sznews/system/{a.when:%Y/%m/%d}/")


def test_large_site_builds_lazily() -> None:
    site = Site(SEED, 20000, day=10, daily=20)
    assert site.n == 20000 + 10 * 20 + 2
    assert site.article.cache_info().currsize == 0
    assert len(corrected_on(site, 7)) == 3


# ---- items as the crawler's extractor sees them -------------------------------------------
def test_expected_items_match_served_pages(days: list[Site]) -> None:
    site = days[D]
    app = App(site, live_picbox=True)
    fixed = sorted({i for day in site.days for i in day.corrected})
    wanted = [*range(N - 3, site.n), *fixed]
    items = expected_articles(site)
    for i in wanted:
        want = items[i]
        pages = []
        for u in want["pages"]:
            resp = _route(app, _path(u))
            assert resp.status == 200, u
            pages.append(extract_article_page(parse_html(resp.body, u, "text/html"), SZNEWS))
        item = assemble_article(pages)
        assert {k: item[k] for k in want} == want
        assert item["problems"] == []


# ---- over HTTP: the server modes, the CLI -------------------------------------------------
def _get(port: int, url: str, headers: dict[str, str] | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", url, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def plain_replica() -> Iterator[Replica]:
    with start_replica(seed=SEED, articles=N, day=3, daily=K, no_validators=True,
                       live_picbox=True) as r:
        yield r


def test_no_validators_and_live_picbox_over_http(plain_replica: Replica) -> None:
    r = plain_replica
    site = r.site()
    assert (site.day, site.daily, site.n) == (3, K, N + 3 * K)
    app = App(site, live_picbox=True)
    fixed = corrected_on(site, 3)
    assert fixed
    urls = [HOST_ROOT + p for p in ["/sznews/index.shtml", *REQUISITES]]
    urls += [HOST_ROOT + site.columns[0].list_page_path(0), *new_on(site, 3), *fixed]
    urls += changed_pages_on(site, 3) + image_urls(site)[:3]
    future = "Fri, 01 Jan 2100 00:00:00 GMT"
    for u in urls:
        for h in ({}, {"If-None-Match": "*"}, {"If-Modified-Since": future},
                  {"Accept-Encoding": "gzip", "If-None-Match": "*"}):
            status, headers, body = _get(r.port, u, h)
            assert status == 200, (u, h)
            assert "ETag" not in headers and "Last-Modified" not in headers, (u, h)
            if "Content-Encoding" not in headers:
                assert body == _route(app, _path(u)).body, u
    # The picture box shows the day's newest articles, on every page.
    newest = site.path(site.days[3].new[-1])
    for u in [HOST_ROOT + site.path(0), HOST_ROOT + "/sznews/search/search.php"]:
        body = _get(r.port, u)[2].decode("gb18030")
        box = re.search(r'<div class="sidebox picnews">.*?</ul></div>', body, re.S)
        assert box and newest in box.group(0)


def test_cli_dump_expected_of_a_day(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "tests.replica", "--seed", str(SEED), "--articles", str(N),
           "--day", "7", "--daily", "3", "--dump-expected", str(tmp_path)]
    subprocess.run(cmd, cwd=REPO_ROOT, check=True)
    lines = (tmp_path / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    site = Site(SEED, N, day=7, daily=3)
    assert [json.loads(x) for x in lines] == expected_articles(site)
    assert len(lines) == N + 7 * 3 + 1
    bad = subprocess.run(cmd[:-2] + ["--grow", "2"], cwd=REPO_ROOT, capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "grow and day" in bad.stderr
