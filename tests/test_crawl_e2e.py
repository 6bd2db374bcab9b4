"""A real `scrapy crawl sznews` of the replica through the proxy path (see conftest)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.reader import read_record
from tests.conftest import ARTICLES, SEED
from tests.crawling import crawl_env
from tests.replica.expected import (
    article_page_urls,
    expected_articles,
    expected_sections,
    image_urls,
)
from tests.replica.model import Site

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(SEED, ARTICLES)


@pytest.fixture(scope="module")
def records(crawled) -> list[dict]:
    """Every WARC record's headers, in file order."""
    out = []
    for path in crawled.warcs:
        with path.open("rb") as fh:
            it = ArchiveIterator(fh)
            for rec in it:
                http = rec.http_headers
                payload = rec.raw_stream.read()  # still content-encoded; before the offset call
                out.append(
                    {
                        "file": path.name,
                        "offset": it.get_record_offset(),
                        "type": rec.rec_type,
                        "id": rec.rec_headers.get_header("WARC-Record-ID"),
                        "uri": rec.rec_headers.get_header("WARC-Target-URI"),
                        "date": rec.rec_headers.get_header("WARC-Date"),
                        "concurrent": rec.rec_headers.get_header("WARC-Concurrent-To"),
                        "ip": rec.rec_headers.get_header("WARC-IP-Address"),
                        "status": http.get_statuscode() if http and rec.rec_type == "response"
                        else None,
                        "statusline": http.protocol + " " + http.statusline if http else None,
                        "http": http.headers if http else [],
                        "payload": payload,
                    }
                )
    return out


def test_every_article_exactly_once_with_every_field_exact(crawled, site):
    expected = {a["url"]: a for a in expected_articles(site)}
    got = crawled.items("articles")
    assert Counter(a["url"] for a in got) == Counter(list(expected)), "each exactly once"
    for item in got:
        want = expected[item["url"]]
        assert {k: item[k] for k in want} == want


def test_every_generation_is_exact_and_the_third_through_the_text(crawled, site):
    """The replica's three markups: two the templates know, one written blind (2019 on).
    Every field of every article is exact either way; the blind one is read by the text."""
    expected = {a["url"]: a for a in expected_articles(site)}
    generation = {e["url"]: site.article(i).generation for i, e in enumerate(expected.values())}
    by = Counter((generation[item["url"]], item["extracted_by"])
                 for item in crawled.items("articles"))
    assert set(by) == {("table", "table-2008"), ("div", "div-2016"), ("plain", "text")}
    for item in crawled.items("articles"):
        assert item.get("problems", []) == [], (item["url"], item["problems"])
        assert {k: item[k] for k in expected[item["url"]]} == expected[item["url"]]


def test_article_items_carry_fetched_and_warc_pointer(crawled):
    for item in crawled.items("articles"):
        assert item["fetched"].endswith("Z") and "T" in item["fetched"]
        pointer = item["warc"]
        assert set(pointer) == {"filename", "offset", "length", "record_id"}
        record = read_record(crawled.archive_dir / "warc" / pointer["filename"],
                             pointer["offset"], pointer["length"])
        assert record.record_id == pointer["record_id"]
        assert record.target_uri == item["url"]


def test_every_section_exactly_once(crawled, site):
    expected = {s["url"]: s for s in expected_sections(site)}
    got = crawled.items("sections")
    assert Counter(s["url"] for s in got) == Counter(list(expected))
    for item in got:
        want = expected[item["url"]]
        assert {k: item[k] for k in want} == want
        assert item["warc"]["record_id"].startswith("<urn:uuid:")


def test_every_article_page_and_image_is_captured(records, site):
    """Every page of every article and every body image is in the WARCs, whatever markup
    the article is in (the archive never depends on a template matching)."""
    captured = {r["uri"] for r in records if r["type"] == "response" and r["status"] == "200"}
    assert sorted(set(article_page_urls(site)) - captured) == []
    assert sorted(set(image_urls(site)) - captured) == []
    third = [a for a in (site.article(i) for i in range(site.n)) if a.generation == "plain"]
    assert any(len(a.pages) > 1 for a in third) and any(a.images() for a in third)
    for requisite in ("/sznews/css/style.css", "/sznews/js/common.js", "/sznews/images/bg.gif",
                      "/sznews/css/wz2019.css", "/sznews/js/wz2019.js",
                      "/sznews/images/line.gif"):
        assert f"http://sznews.zjol.com.cn{requisite}" in captured


def test_redirect_robots_and_errors_are_archived(records):
    by_uri = {(r["uri"], r["type"]): r for r in records}
    assert by_uri[("http://sznews.zjol.com.cn/", "response")]["status"] == "302"
    assert by_uri[("http://sznews.zjol.com.cn/robots.txt", "response")]["status"] == "200"


def test_request_and_response_records_pair_up(records):
    responses = {r["id"]: r for r in records if r["type"] == "response"}
    requests = [r for r in records if r["type"] == "request"]
    assert len(requests) == len(responses)
    for req in requests:
        resp = responses[req["concurrent"]]
        assert (req["uri"], req["date"], req["ip"]) == (resp["uri"], resp["date"], resp["ip"])
        assert req["ip"] == "127.0.0.1"
        parts = urlsplit(req["uri"])
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        assert req["statusline"].split()[1] == target
        assert dict(req["http"])["Host"] == parts.netloc
    for resp in responses.values():
        assert resp["statusline"].startswith("HTTP/1.1 ")
        assert len(resp["statusline"].split(" ", 2)) == 3, "reason phrase kept"


def test_bodies_are_stored_as_they_came_off_the_wire(records):
    encoded = [r for r in records if r["type"] == "response"
               and dict(r["http"]).get("Content-Encoding") == "gzip"]
    assert encoded, "the replica gzips some pages; they must be stored still encoded"
    for rec in encoded:
        headers = dict(rec["http"])
        assert rec["payload"][:2] == b"\x1f\x8b", (rec["uri"], rec["statusline"])
        assert int(headers["Content-Length"]) == len(rec["payload"])
        assert b"<html" in gzip.decompress(rec["payload"])[:2000].lower()
    assert not any("Transfer-Encoding" in dict(r["http"]) for r in records)


def test_warcs_pass_warcio_check(crawled):
    assert crawled.warcs
    assert not list((crawled.archive_dir / "warc").glob("*.open"))
    proc = subprocess.run([BIN / "warcio", "check", *crawled.warcs], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_warcinfo_leads_every_file(records):
    first = {}
    for r in records:
        first.setdefault(r["file"], r["type"])
    assert set(first.values()) == {"warcinfo"}


def test_index_is_sorted_and_agrees_with_cdxj_indexer(crawled):
    ours = (crawled.archive_dir / "index.cdxj").read_text("utf-8").splitlines()
    assert ours == sorted(ours)
    proc = subprocess.run([BIN / "cdxj-indexer", "--sort", *crawled.warcs],
                          capture_output=True, text=True, check=True)
    assert ours == proc.stdout.splitlines()
    urls = {json.loads(line.split(" ", 2)[2])["url"] for line in ours}
    assert {a["url"] for a in crawled.items("articles")} <= urls


def test_no_offsite_robots_disallowed_or_calendar_requests(replica, crawled):
    seen = replica.requests()
    assert seen
    assert {r["host"] for r in seen} == {"sznews.zjol.com.cn"}
    paths = [r["path"] for r in seen]
    assert not [p for p in paths if p.startswith(("/sznews/search/", "/cgi-bin/"))]
    assert not [p for p in paths if p.endswith("calendar.shtml")]
    assert all(r["method"] == "GET" for r in seen), "no form is ever submitted"


def test_no_url_is_fetched_twice(replica, crawled):
    counts = Counter(r["url"] for r in replica.requests())
    assert [u for u, n in counts.items() if n > 1] == []


def test_report_says_what_the_run_did(crawled, records):
    report = crawled.report()
    assert report["run_id"] == crawled.run_ids[-1]
    assert report["finish_reason"] == "finished"
    assert report["articles"] == len(crawled.items("articles"))
    assert report["sections"] == len(crawled.items("sections"))
    responses = sum(1 for r in records if r["type"] == "response")
    assert report["warc"]["records"]["response"] == responses
    assert report["warc"]["bytes"] == sum(p.stat().st_size for p in crawled.warcs)
    assert report["responses_by_status"]["200"] == responses - 1
    assert report["responses_by_status"]["302"] == 1
    assert report["requests"] == responses
    assert report["errors"]["log_errors"] == 0
    assert report["duration_seconds"] > 0


def test_crawl_output_has_no_network_warnings_and_shows_progress(crawled):
    assert "tldextract" not in crawled.output.lower()
    assert "Telnet" not in crawled.output
    assert "RemoteControl" not in crawled.output


def test_scrapy_check_passes_against_the_replica(replica, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "check", "sznews", "-s", f"ARCHIVE_DIR={tmp_path}"],
        cwd=Path(__file__).resolve().parent.parent, env=crawl_env(replica.proxy_url),
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OK" in proc.stderr + proc.stdout
    assert list(tmp_path.iterdir()) == [], "debugging commands leave the archive alone"


@pytest.mark.parametrize("callback", ["parse", "parse_section", "parse_article"])
def test_scrapy_parse_prints_what_each_callback_yields(replica, site, callback, tmp_path):
    first = next(a for a in reversed(expected_articles(site)) if len(a["pages"]) == 1)
    url = {
        "parse": "http://sznews.zjol.com.cn/sznews/index.shtml",
        "parse_section": "http://sznews.zjol.com.cn/sznews/szzt/index.shtml",
        "parse_article": first["url"],
    }[callback]
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "parse", "--spider", "sznews", "-c", callback, url,
         "-s", f"ARCHIVE_DIR={tmp_path}", "-s", "LOG_LEVEL=WARNING"],
        cwd=Path(__file__).resolve().parent.parent, env=crawl_env(replica.proxy_url),
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "# Scraped Items" in out and "# Requests" in out
    if callback == "parse_article":
        assert first["title"] in out
    if callback == "parse_section":
        assert "'kind': 'channel'" in out
    assert list(tmp_path.iterdir()) == []


HOME = "http://sznews.zjol.com.cn/sznews/index.shtml"
DEBUGGING = {
    "fetch": ["fetch", "--nolog", HOME],
    "shell": ["shell", HOME, "-c", "response.status"],
    "view": ["view", "--nolog", HOME],
}


def debugging_command(replica, archive_dir, args, *settings):
    env = crawl_env(replica.proxy_url)
    env["BROWSER"] = "true"  # `scrapy view` opens the page with a command that does nothing
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args, "-s", f"ARCHIVE_DIR={archive_dir}", *settings],
        cwd=Path(__file__).resolve().parent.parent, env=env,
        capture_output=True, text=True, errors="replace", timeout=120,  # the page is GB2312
    )


@pytest.mark.parametrize("command", sorted(DEBUGGING))
def test_debugging_commands_leave_the_archive_dir_untouched(replica, command, tmp_path):
    proc = debugging_command(replica, tmp_path, DEBUGGING[command])
    assert proc.returncode == 0, proc.stderr[-3000:]
    if command == "fetch":
        assert proc.stdout.rstrip().endswith("</html>")
    if command == "shell":
        assert proc.stdout.strip() == "200"
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "no warc/, items/, reports/, state/"


def test_it_is_archive_read_only_that_keeps_a_debugging_command_out(replica, tmp_path):
    """The control: the same fetch with ARCHIVE_READ_ONLY off is a run of the archive."""
    proc = debugging_command(replica, tmp_path, DEBUGGING["fetch"], "-s", "ARCHIVE_READ_ONLY=0")
    assert proc.returncode == 0, proc.stderr[-3000:]
    made = {p.name for p in tmp_path.iterdir()}
    assert {"warc", "items", "reports", "state"} <= made


def test_state_holds_every_archived_page_and_nothing_else(crawled, records):
    import sqlite3

    db = sqlite3.connect(crawled.archive_dir / "state" / "captures.sqlite")
    rows = dict(db.execute("SELECT url, record_id FROM captures").fetchall())
    db.close()
    archived = {r["uri"]: r["id"] for r in records
                if r["type"] == "response" and r["status"] == "200"}
    assert rows == archived
    assert "cannot schedule new futures" not in crawled.output
