"""The dedup layer: maintenance pages, template links, traps, duplicate payloads."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive.reader import iter_records
from crawler.dedup.deferring import load_pending
from crawler.dedup.links import TemplateLinks, TrapGuard
from crawler.dedup.maintenance import (
    STATE_FILE,
    MaintenanceConfig,
    classify_maintenance,
    retry_after_seconds,
)
from crawler.discovery.outlinks import links_by_block
from crawler.extraction.page import parse_html
from crawler.profile import SZNEWS
from tests.crawling import run_crawl
from tests.replica.expected import expected_articles
from tests.replica.model import Site
from tests.replica.testing import start_replica

SAMPLES = Path(__file__).parent / "samples"
BANNER_ARTICLE = SAMPLES / "sznews.zjol.com.cn/sznews/system/2008/07/24/010298765.shtml"
URL = "http://sznews.zjol.com.cn/sznews/system/2008/07/24/010298765.shtml"
QUICK_RETRY = {"DEDUP_MAINTENANCE_RETRY_DELAY": "0.2", "DEDUP_MAINTENANCE_RETRY_TIMES": "4"}
SEED, ARTICLES = 11, 60


# -- maintenance: what the page is, not the string -------------------------------------------


def test_maintenance_page_is_recognised_plain_and_gzipped():
    body = (SAMPLES / "maintenance.shtml").read_bytes()
    assert classify_maintenance(body, URL, "text/html", None, SZNEWS)
    assert classify_maintenance(gzip.compress(body), URL, "text/html", b"gzip", SZNEWS)


def test_real_article_with_the_banner_is_not_maintenance():
    body = BANNER_ARTICLE.read_bytes()
    assert "网站维护中".encode("gbk") in body
    assert not classify_maintenance(body, URL, "text/html; charset=gb2312", None, SZNEWS)


def test_other_pages_are_not_maintenance():
    assert not classify_maintenance((SAMPLES / "404.shtml").read_bytes(), URL, None, None, SZNEWS)
    assert not classify_maintenance(b"\x1f\x8bnot gzip", URL, None, b"gzip", SZNEWS)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(b"120", 120.0), (b"Sat, 28 Nov 2026 12:01:00 GMT", 60.0), (b"soon", None), (None, None)],
)
def test_retry_after(value, seconds):
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(value, now) == seconds


def test_back_off_doubles_honours_retry_after_and_is_capped():
    config = MaintenanceConfig(retry_times=5, retry_delay=10, max_delay=60)
    assert [config.delay(n, None) for n in (1, 2, 3, 4)] == [10, 20, 40, 60]
    assert config.delay(1, 45) == 45


# -- links --------------------------------------------------------------------------------------


def test_links_in_profile_blocks_are_template_and_content_comes_first():
    page = parse_html(BANNER_ARTICLE.read_bytes(), URL)
    links = links_by_block(page, SZNEWS)
    blocks = [link.block for link in links]
    first_template = next(i for i, b in enumerate(blocks) if b.startswith("profile:"))
    assert all(b.startswith("profile:") for b in blocks[first_template:])
    sidebar = [link.url for link in links if link.block == "profile:2"]
    assert "http://sznews.zjol.com.cn/sznews/szzt/ggkf30/" in sidebar
    related = [link for link in links if "relnews" in link.block]
    assert len(related) == 4


def test_unnamed_block_repeated_on_pages_is_learned_as_template():
    templates = TemplateLinks(min_pages=3)
    for n in range(2):
        templates.observe(f"http://h/{n}", "div.box#", "fp")
    assert not templates.is_template("div.box#", "fp")
    templates.observe("http://h/2", "div.box#", "fp")
    assert templates.is_template("div.box#", "fp")
    assert not templates.is_template("div.box#", "other links")
    templates.observe("http://h/2", "div.box#", "fp")  # one vote a page
    templates.observe("http://h/3", "div.rel#", "a")
    for n in range(4, 40):  # a block whose links differ on every page never becomes template
        templates.observe(f"http://h/{n}", "div.rel#", f"links of page {n}")
    assert not templates.is_template("div.rel#", "links of page 39")
    assert len(templates._votes) == 2, "memory bounded by block keys, not by pages"


def test_trap_guard_caps_query_variants_and_paths():
    guard = TrapGuard(max_query_variants=3, max_path_segments=6)
    verdicts = [guard.verdict(f"http://h/a/cal.shtml?date=2020-01-{d:02d}") for d in range(1, 6)]
    assert verdicts == [None, None, None, "query_variants", "query_variants"]
    assert guard.verdict("http://h/a/cal.shtml?date=2020-01-01") is None  # already allowed
    assert guard.verdict("http://h/1/2/3/4/5/6.html") is None
    assert guard.verdict("http://h/1/2/3/4/5/6/7.html") == "path_depth"
    assert guard.verdict("http://h/x/y/x/y/x/z.html") == "path_repeats"
    # Numbers repeat in real paths: images split by id, dates. Found by comparing the
    # crawler's WARC with wget's: 9 of 2,000 articles' images were dropped as traps.
    assert guard.verdict("http://h/pic/0/10/10/10/10101008_758032.jpg") is None
    assert guard.verdict("http://h/sznews/system/2010/10/10/010032672.shtml") is None


# -- a crawl through maintenance flapping --------------------------------------------------------


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(SEED, ARTICLES)


@pytest.fixture(scope="module")
def stuck(site) -> str:
    return site.path(5)


@pytest.fixture(scope="module")
def flapping(site, stuck, tmp_path_factory):
    """Some URLs in maintenance for their first two requests, one for good."""
    log = tmp_path_factory.mktemp("flap") / "requests.jsonl"
    archive = tmp_path_factory.mktemp("flap-archive")
    with start_replica(articles=ARTICLES, seed=SEED, log_path=log,
                       maintenance=("flap=2", f"stuck={stuck}")) as replica:
        result = run_crawl(archive, proxy_url=replica.proxy_url, settings=QUICK_RETRY)
        requests = replica.requests()
    assert result.returncode == 0, result.output[-3000:]
    return result, requests


def test_flapping_gives_every_article_once_but_the_stuck_one(flapping, site, stuck):
    result, _ = flapping
    expected = {a["url"]: a for a in expected_articles(site)}
    stuck_url = "http://sznews.zjol.com.cn" + stuck
    got = result.items("articles")
    assert Counter(a["url"] for a in got) == Counter(u for u in expected if u != stuck_url)
    for item in got:
        assert {k: item[k] for k in expected[item["url"]]} == expected[item["url"]]


def test_no_maintenance_page_is_archived(flapping):
    result, requests = flapping
    assert any(r.get("maintenance") for r in requests), "the replica did flap"
    for path in result.warcs:
        for record in iter_records(path):
            if record.rec_type in ("response", "revisit"):
                assert "网站维护中".encode("gbk") + b"</title>" not in record.payload
                assert b"\xcd\xf8\xd5\xbe\xce\xac\xbb\xa4\xd6\xd0</title>" not in gzip_safe(
                    record.payload)


def gzip_safe(payload: bytes) -> bytes:
    try:
        return gzip.decompress(payload)
    except OSError:
        return payload


def test_report_and_state_name_the_url_that_stayed_down(flapping, stuck):
    result, _ = flapping
    stuck_url = "http://sznews.zjol.com.cn" + stuck
    report = result.report()
    assert report["maintenance_unresolved"] == [stuck_url]
    assert report["dedup"]["maintenance/unresolved"] == 1
    assert report["dedup"]["maintenance/deferred"] >= 1
    assert report["dedup"]["template_links/skipped"] > 0
    pending = load_pending(result.archive_dir / "state", STATE_FILE)
    assert pending == [{"url": stuck_url, "callback": "parse_article"}]


def test_requests_stay_close_to_distinct_urls(flapping):
    _, requests = flapping
    fetched = [r["url"] for r in requests if not r.get("maintenance")]
    retries = sum(1 for r in requests if r.get("maintenance"))
    assert len(requests) - retries <= 1.15 * len(set(fetched))
    paths = {r["path"] for r in requests}
    sections = {p for p in paths if p.endswith("/index.shtml")}
    assert not {p.removesuffix("index.shtml") for p in sections} & paths, "dir/ and dir/index"
    assert sum(1 for p in paths if p.endswith("calendar.shtml")) <= 3
    assert not [p for p in paths if "_01.shtml" in p]


@pytest.fixture(scope="module")
def next_run(flapping, tmp_path_factory):
    """A second run on the same archive, with the site back to normal."""
    result, _ = flapping
    log = tmp_path_factory.mktemp("next") / "requests.jsonl"
    with start_replica(articles=ARTICLES, seed=SEED, log_path=log) as replica:
        second = run_crawl(result.archive_dir, proxy_url=replica.proxy_url,
                           settings={**QUICK_RETRY, "INCREMENTAL_POLICY": "all"})
        requests = replica.requests()
    assert second.returncode == 0, second.output[-3000:]
    return second, requests


def test_next_run_tries_the_stuck_url_first(next_run, stuck):
    second, requests = next_run
    pages = [r["path"] for r in requests if r["path"] != "/robots.txt"]
    # It goes out with the start URL, before anything found by crawling.
    assert pages.index(stuck) < pages.index("/sznews/index.shtml")
    assert "http://sznews.zjol.com.cn" + stuck in {a["url"] for a in second.items("articles")}
    assert second.report()["maintenance_unresolved"] == []
    assert load_pending(second.archive_dir / "state", STATE_FILE) == []
    # Everything else was archived by the first run: the second stores revisits.
    assert second.report()["dedup"]["revisits"] > 0


def test_whole_site_maintenance_backs_off_and_resumes(site, tmp_path):
    # The window opens with the server and outlasts the crawler's start-up even on a busy
    # machine; the back-off (0.5 s doubling, 6 tries) outlasts the window.
    with start_replica(articles=ARTICLES, seed=SEED, maintenance=("window=0:6",)) as replica:
        result = run_crawl(tmp_path / "archive", proxy_url=replica.proxy_url,
                           settings={"DEDUP_MAINTENANCE_RETRY_DELAY": "0.5",
                                     "DEDUP_MAINTENANCE_RETRY_TIMES": "6"})
    assert result.returncode == 0, result.output[-3000:]
    assert len(result.items("articles")) == len(expected_articles(site))
    assert result.report()["dedup"]["maintenance/deferred"] >= 1


def test_revisits_are_valid_and_point_at_an_archived_original(next_run):
    result, _ = next_run
    originals: dict[str, tuple[str, str, str]] = {}
    revisits = []
    for path in result.warcs:
        for record in iter_records(path):
            digest = record.rec_headers.get_header("WARC-Payload-Digest")
            if record.rec_type == "response":
                originals.setdefault(digest, (
                    record.rec_headers.get_header("WARC-Target-URI"),
                    record.rec_headers.get_header("WARC-Date"),
                    record.rec_headers.get_header("WARC-Record-ID"),
                ))
            elif record.rec_type == "revisit":
                revisits.append(record)
    assert revisits, "the second run of the module stored revisits"
    profiles = Counter(r.rec_headers.get_header("WARC-Profile").rsplit("/", 1)[1]
                       for r in revisits)
    # Hub pages come back whole with the same payload; archived articles answer the second
    # run's conditional request with 304.
    assert profiles["identical-payload-digest"] > 0 and profiles["server-not-modified"] > 0
    for record in revisits:
        headers = record.rec_headers
        if headers.get_header("WARC-Profile").endswith("/identical-payload-digest"):
            assert headers.get_header("WARC-Truncated") == "length"
            assert record.http_headers.get_statuscode() == "200"
        else:
            assert record.http_headers.get_statuscode() == "304"
        digest = headers.get_header("WARC-Payload-Digest")
        # The original's exact URI, date and id, even when it was archived by an earlier run.
        assert originals[digest] == (
            headers.get_header("WARC-Refers-To-Target-URI"),
            headers.get_header("WARC-Refers-To-Date"),
            headers.get_header("WARC-Refers-To"),
        )


def test_revisits_are_in_the_index(next_run):
    result, _ = next_run
    lines = (result.archive_dir / "index.cdxj").read_text("utf-8").splitlines()
    mimes = Counter(json.loads(line.split(" ", 2)[2]).get("mime") for line in lines)
    assert mimes["warc/revisit"] > 0
