"""`scrapy warcshell` and `scrapy reextract`, run as a user would, on real crawls of the replica.

Every command runs with `http_proxy` pointing at a closed port: a command that tried the
network would fail (or hang) instead of passing.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Request, Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from warcio.statusandheaders import StatusAndHeaders

from archive import fastread
from archive.captures import Loaded
from archive.reader import StoredRecord, iter_records, read_record
from crawler.archived.reextraction import AtomicLines
from crawler.archived.responses import Archive, DownloadLimits, archived_response
from crawler.fetching.nosniff import NoSniffingOfCompressedBodies
from tests.crawling import ROOT, CrawlResult, crawl_env, run_crawl
from tests.replica.testing import start_replica

DEAD_PROXY = "http://127.0.0.1:9"  # discard port: nothing listens there


def scrapy(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = crawl_env(DEAD_PROXY)
    env["https_proxy"] = env["HTTP_PROXY"] = env["HTTPS_PROXY"] = DEAD_PROXY
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def shell_json(archive_dir: Path, url: str, expr: str, *extra: str) -> Any:
    """Evaluate `expr` in warcshell; the expression is wrapped in json.dumps."""
    code = f"__import__('json').dumps({expr}, ensure_ascii=False, default=str)"
    proc = scrapy("warcshell", url, "-s", f"ARCHIVE_DIR={archive_dir}", *extra, "-c", code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def latest_items(result: CrawlResult, kind: str) -> dict[str, dict[str, Any]]:
    """Each URL's item from the latest run that exported it."""
    latest: dict[str, dict[str, Any]] = {}
    for run_id in result.run_ids:
        for item in result.items(kind, run_id):
            latest[item["url"]] = item
    return latest


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(directory)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
    }


def reextract(archive_dir: Path, out_dir: Path, *flags: str) -> tuple[list, list, str]:
    articles, sections = out_dir / "articles.jsonl", out_dir / "sections.jsonl"
    proc = scrapy(
        "reextract", "-s", f"ARCHIVE_DIR={archive_dir}", *flags,
        "-O", str(articles), "--sections", str(sections),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return read_jsonl(articles), read_jsonl(sections), proc.stderr


def assert_same_items(live: dict[str, dict], rebuilt: list[dict]) -> None:
    urls = [item["url"] for item in rebuilt]
    assert len(urls) == len(set(urls)), "an item came out twice"
    assert set(urls) == set(live)
    for item in rebuilt:
        expected = live[item["url"]]
        assert list(item) == list(expected), item["url"]  # same fields, same order
        assert item == expected, item["url"]


# --------------------------------------------------------------------------- reextract


@pytest.fixture(scope="module")
def rebuilt(crawled: CrawlResult, tmp_path_factory: pytest.TempPathFactory):
    before = snapshot(crawled.archive_dir)
    out = tmp_path_factory.mktemp("reextract")
    articles, sections, log = reextract(crawled.archive_dir, out)
    assert snapshot(crawled.archive_dir) == before, "reextract changed the archive"
    return articles, sections, log


def test_reextract_gives_the_crawls_articles(crawled: CrawlResult, rebuilt) -> None:
    articles, _sections, _log = rebuilt
    live = latest_items(crawled, "articles")
    assert len(live) == 80
    assert any(len(item["pages"]) > 1 for item in articles), "no multi-page article to test"
    assert_same_items(live, articles)  # fetched too: when page 1's fetch began


def test_reextract_gives_the_crawls_sections(crawled: CrawlResult, rebuilt) -> None:
    _articles, sections, log = rebuilt
    live = latest_items(crawled, "sections")
    assert live
    assert_same_items(live, sections)
    assert f"{len(sections)} sections" in log


def test_reextract_appends_with_o_and_refuses_bad_usage(
    crawled: CrawlResult, tmp_path: Path
) -> None:
    out = tmp_path / "a.jsonl"
    for _ in range(2):
        proc = scrapy("reextract", "-s", f"ARCHIVE_DIR={crawled.archive_dir}", "-o", str(out))
        assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(read_jsonl(out)) == 2 * 80
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl"]  # no temp file left
    proc = scrapy("reextract", "-s", f"ARCHIVE_DIR={crawled.archive_dir}", "-O", str(out))
    assert proc.returncode == 0 and len(read_jsonl(out)) == 80
    # Neither or both of -o/-O: a usage error, nothing written.
    assert scrapy("reextract", "-s", f"ARCHIVE_DIR={crawled.archive_dir}").returncode == 2
    proc = scrapy("reextract", "-s", f"ARCHIVE_DIR={tmp_path / 'none'}", "-O", str(out))
    assert proc.returncode == 1 and "no WARC files" in proc.stderr


def test_reextract_streams_and_leaves_no_file_behind_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "a.jsonl"
    out.write_bytes(b"old 1\nold 2")  # no final newline: appending adds one
    with AtomicLines(out, append=True) as lines:
        lines.write(b"new\n")
        assert out.read_bytes() == b"old 1\nold 2"  # nothing in place before the commit
        assert lines.commit() == 1
    assert out.read_bytes() == b"old 1\nold 2\nnew\n"
    with pytest.raises(RuntimeError), AtomicLines(out, append=False) as lines:
        lines.write(b"half\n")
        raise RuntimeError("extraction failed")
    assert out.read_bytes() == b"old 1\nold 2\nnew\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl"]


# --------------------------------------------------------------------------- reextract's readers
# reextract reads records without warcio's stream stack, and decodes payloads with
# crawler/fetching/compression.py rather than through HttpCompressionMiddleware; these hold it to
# giving exactly what those give.


def record_view(record: StoredRecord, *, scan: bool = False) -> tuple:
    """A record's parsed contents; for a scan only what the scan reads of it."""

    def headers(h: StatusAndHeaders | None) -> tuple | None:
        return None if h is None else (h.protocol, h.statusline, h.headers, h.total_len)

    http_read = not scan or record.rec_type in ("response", "revisit")
    payload_read = not scan or record.rec_type == "warcinfo"
    return (
        record.offset,
        record.length,
        record.rec_type,
        headers(record.rec_headers),
        headers(record.http_headers) if http_read else "-",
        record.payload if payload_read else "-",
    )


def outcome(read: Any, *args: Any, scan: bool = False) -> Any:
    try:
        got = read(*args)
        if scan:
            return [record_view(r, scan=True) for r in got]
        return record_view(got)
    except Exception as exc:
        return type(exc).__name__, str(exc)


def test_reextract_reads_the_crawls_records_as_warcio_does(
    crawled: CrawlResult, recrawled: CrawlResult
) -> None:
    for path in crawled.warcs + recrawled.warcs:
        records = list(iter_records(path))
        assert [record_view(r, scan=True) for r in fastread.scan_records(path)] == [
            record_view(r, scan=True) for r in records
        ]
        for r in records:
            assert record_view(fastread.read_record_at(path, r.offset, r.length)) == record_view(
                read_record(path, r.offset, r.length)
            ), (path, r.offset)


HTTP_OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>x</html>"


def warc(block: bytes, *, head: bytes = b"WARC/1.0\r\nWARC-Type: response\r\n",
         uri: bytes = b"http://a.example/", length: bytes | None = None) -> bytes:
    length = str(len(block)).encode() if length is None else length
    return (head + b"WARC-Target-URI: " + uri + b"\r\nWARC-Record-ID: <urn:uuid:1>\r\n"
            b"Content-Length: " + length + b"\r\n\r\n" + block + b"\r\n\r\n")


ODD_RECORDS = {
    "plain": warc(HTTP_OK),
    "utf-8 and latin-1 headers": warc(
        "HTTP/1.1 200 OK\r\nX-A: caf\u00e9\r\n".encode() + b"X-B: \xe9t\xe9\r\n\r\nbody"
    ),
    "continued header": warc(b"HTTP/1.1 200 OK\r\nX-A: one\r\n  two\r\n\tthree\r\n\r\nbody"),
    "bare LF lines": warc(b"HTTP/1.1 200 OK\nContent-Type: text/html\n\nbody"),
    "continued headers": warc(
        b"HTTP/1.1 200 OK\r\nX-A: 1\r\n  cont\r\n\tmore\r\nNoColon\r\n x\r\nX-B: 2\r\n\r\nbody"
    ),
    "blank line of spaces": warc(b"HTTP/1.1 200 OK\r\nX-A: 1\r\n   \r\nX-B: 2\r\n\r\nbody"),
    "odd header lines": warc(
        b"HTTP/1.1 200 OK\r\nNoColon\r\nName : v \r\nEmpty:\r\n:anon\r\nA:b:c\r\n\r\nbody"
    ),
    "status without reason": warc(b"HTTP/1.1 200\r\n\r\nbody"),
    "lower-case warc version": warc(HTTP_OK, head=b"warc/1.0\r\nWARC-Type: response\r\n"),
    "unknown warc version": warc(HTTP_OK, head=b"WARC/9.9\r\nWARC-Type: response\r\n"),
    "not a warc record": HTTP_OK,
    "uri in angle brackets": warc(HTTP_OK, uri=b"<http://a.example/>"),
    "uri with a space": warc(HTTP_OK, uri=b"http://a.example/a b"),
    "dns uri": warc(b"1.2.3.4", uri=b"dns:a.example"),
    "no content-length": warc(HTTP_OK).replace(b"Content-Length", b"X-Length"),
    "content-length too long": warc(HTTP_OK, length=str(len(HTTP_OK) + 50).encode()),
    "content-length negative": warc(HTTP_OK, length=b"-5"),
    "content-length junk": warc(HTTP_OK, length=b"12a"),
    "empty revisit": warc(b"", head=b"WARC/1.0\r\nWARC-Type: revisit\r\n"),
    "request": warc(b"GET / HTTP/1.1\r\nHost: a.example\r\n\r\n",
                    head=b"WARC/1.0\r\nWARC-Type: request\r\n"),
    "long header": warc(b"HTTP/1.1 200 OK\r\nX-Long: " + b"x" * 20000 + b"\r\n\r\nbody"),
}


@pytest.mark.parametrize("name", list(ODD_RECORDS))
def test_reextract_reads_odd_records_as_warcio_does(name: str, tmp_path: Path) -> None:
    """Whatever its fast path does not parse exactly, warcio reads (or fails on) as before."""
    record = ODD_RECORDS[name]
    member = gzip.compress(record, mtime=0)
    path = tmp_path / "odd.warc.gz"
    for data in (member, member[:-3], member + gzip.compress(b"WARC/1.0\r\n\r\n"), record):
        path.write_bytes(data)
        assert outcome(fastread.read_record_at, path, 0, len(data)) == outcome(
            read_record, path, 0, len(data)
        )
    path.write_bytes(gzip.compress(ODD_RECORDS["plain"], mtime=0) + member + member[:-3])
    assert outcome(fastread.scan_records, path, scan=True) == outcome(iter_records, path, scan=True)


def crawl_response(loaded: Loaded, settings: dict[str, Any]) -> Response:
    """What the crawl's callback got for these stored bytes: the download handler's response
    through NoSniffingOfCompressedBodies and the installed Scrapy's HttpCompressionMiddleware."""
    headers = Headers()
    for name, value in loaded.header_list():
        headers.appendlist(name, value)
    request = Request(loaded.url)
    cls = responsetypes.from_args(headers=headers, url=loaded.url, body=loaded.payload)
    raw = cls(url=loaded.url, status=loaded.status, headers=headers, body=loaded.payload,
              request=request, protocol=loaded.protocol)
    raw = NoSniffingOfCompressedBodies().process_response(request, raw)
    middleware = HttpCompressionMiddleware.from_crawler(get_crawler(settings_dict=settings))
    return middleware.process_response(request, raw)


def response_outcome(build: Any, caplog: pytest.LogCaptureFixture) -> tuple:
    """What a callback reads of the response ``build()`` makes, and whether it warned."""
    caplog.clear()
    try:
        r = build()
    except IgnoreRequest:
        return ("IgnoreRequest",)
    except Exception as exc:
        return type(exc).__name__, str(exc)
    headers = [(name, r.headers.getlist(name)) for name in r.headers]
    encoding = r.encoding if isinstance(r, TextResponse) else None
    warned = any(record.levelname == "WARNING" for record in caplog.records)
    return type(r).__name__, r.url, r.status, headers, r.body, encoding, r.protocol, warned


def assert_rebuilt_as_the_crawl(
    loaded: Loaded, settings: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    limits = DownloadLimits.from_settings(Settings(settings))
    assert response_outcome(lambda: archived_response(loaded, limits=limits), caplog) == (
        response_outcome(lambda: crawl_response(loaded, settings), caplog)
    ), loaded.url


def test_reextract_rebuilds_the_crawls_pages_as_the_middleware_does(
    crawled: CrawlResult, recrawled: CrawlResult, caplog: pytest.LogCaptureFixture
) -> None:
    for result in (crawled, recrawled):
        archive = Archive(result.archive_dir).scan()
        for capture in archive.captures:
            assert_rebuilt_as_the_crawl(archive.load(capture), {}, caplog)


HTML = b"<html><head><title>t</title></head><body>x</body></html>"


@pytest.mark.parametrize("encodings", [
    [], ["gzip"], ["GZIP"], [" x-gzip "], ["gzip", "gzip"], ["gzip, identity"], ["deflate"],
    ["identity"], [""], ["zstd"],
])
@pytest.mark.parametrize("body", ["gzip", "plain", "cut gzip", "junk", "huge", "deflate"])
def test_reextract_rebuilds_odd_pages_as_the_middleware_does(
    crawled: CrawlResult, encodings: list[str], body: str, caplog: pytest.LogCaptureFixture
) -> None:
    archive = Archive(crawled.archive_dir).scan()
    page = archive.load(next(c for c in archive.captures if c.status == 200))
    payload = {
        "gzip": gzip.compress(HTML),
        "plain": HTML,
        "cut gzip": gzip.compress(HTML)[:-12],
        "junk": b"\x1f\x8b\x08junk",
        "huge": gzip.compress(b"a" * 300_000),  # over the warning size, then the maximum
        "deflate": zlib.compress(HTML),
    }[body]
    headers = [("Content-Type", "text/html"), ("content-type", "text/html; charset=gbk")]
    headers += [("Content-Encoding", e) for e in encodings]
    record = dataclasses.replace(page.record, http_headers=StatusAndHeaders("200 OK", headers,
                                                                            "HTTP/1.1"))
    loaded = Loaded(page.capture, record, payload, None)
    for settings in (
        {},
        {"DOWNLOAD_WARNSIZE": 100_000},  # "huge" warns
        {"DOWNLOAD_WARNSIZE": 100_000, "DOWNLOAD_MAXSIZE": 200_000},  # and is dropped
    ):
        assert_rebuilt_as_the_crawl(loaded, settings, caplog)


# --------------------------------------------------------------------------- revisits


@pytest.fixture(scope="module")
def recrawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrawlResult]:
    """Two crawls of one replica into one archive: the second one writes revisits."""
    archive_dir = tmp_path_factory.mktemp("recrawled")
    with start_replica(articles=30, seed=3) as replica:
        for _ in range(2):  # the second asks for every article again
            result = run_crawl(archive_dir, proxy_url=replica.proxy_url,
                               settings={"INCREMENTAL_POLICY": "all"})
            assert result.returncode == 0, result.output[-5000:]
    yield result


def latest_200_records(archive_dir: Path) -> dict[str, dict[str, Any]]:
    """Each URL's latest 200 response/revisit record, read straight from the WARCs."""
    latest: dict[str, dict[str, Any]] = {}
    for path in sorted((archive_dir / "warc").glob("*.warc.gz")):
        for record in iter_records(path):
            if record.rec_type not in ("response", "revisit"):
                continue
            if record.http_headers is None or record.http_headers.get_statuscode() != "200":
                continue
            latest[record.target_uri] = {
                "filename": path.name,
                "offset": record.offset,
                "length": record.length,
                "record_id": record.record_id,
                "type": record.rec_type,
            }
    return latest


def test_reextract_with_revisits_gives_each_article_once_from_its_latest_capture(
    recrawled: CrawlResult, tmp_path: Path
) -> None:
    assert len(recrawled.run_ids) == 2
    assert len(recrawled.warcs) >= 2
    articles, sections, _log = reextract(recrawled.archive_dir, tmp_path)
    assert len(articles) == 30
    latest = latest_200_records(recrawled.archive_dir)
    assert any(rec["type"] == "revisit" for rec in latest.values()), "second crawl wrote none"
    for item in articles + sections:
        record = latest[item["url"]]
        assert item["warc"] == {k: record[k] for k in ("filename", "offset", "length",
                                                       "record_id")}
    assert_same_items(latest_items(recrawled, "articles"), articles)
    assert_same_items(latest_items(recrawled, "sections"), sections)


def test_warcshell_timestamp_picks_the_nearest_capture(recrawled: CrawlResult) -> None:
    item = recrawled.items("articles", recrawled.run_ids[0])[0]
    expr = "[capture.timestamp, record.rec_type, response.status, extracted.title, " \
           "__import__('hashlib').sha1(response.body).hexdigest()]"
    first = shell_json(recrawled.archive_dir, item["url"], expr, "-t", "20000101")
    latest = shell_json(recrawled.archive_dir, item["url"], expr)
    assert first[0] < latest[0]
    assert first[1:3] == ["response", 200]
    # The second crawl's capture: a 200 (identical payload) or a 304 (not modified) revisit,
    # both shown with the original's payload, decoded.
    assert latest[1] == "revisit" and latest[2] in (200, 304)
    assert first[3:] == latest[3:] == [item["title"], first[4]]


# --------------------------------------------------------------------------- warcshell


def test_warcshell_shows_the_archived_article(crawled: CrawlResult) -> None:
    before = snapshot(crawled.archive_dir)
    item = next(i for i in crawled.items("articles") if len(i["pages"]) > 1)
    got = shell_json(
        crawled.archive_dir,
        item["url"],
        "{'status': response.status, 'url': response.url, 'request': request.url, "
        "'cls': type(response).__name__, 'encoded': 'Content-Encoding' in response.headers, "
        "'head': response.xpath('//title/text()').get(), 'title': extracted.title, "
        "'spider': spider.name, 'meta': response.meta.get('warc_location'), "
        "'item': __import__('crawler.items', fromlist=['x']).item_line(item).decode()}",
    )
    assert got["status"] == 200
    assert got["url"] == got["request"] == item["url"]
    assert got["cls"] == "HtmlResponse" and not got["encoded"]
    assert got["title"] == item["title"]
    assert got["head"].startswith(item["title"])
    assert got["spider"] == "sznews"
    assert got["meta"] == item["warc"]
    assert json.loads(got["item"]) == item
    assert snapshot(crawled.archive_dir) == before, "warcshell changed the archive"


def test_warcshell_runs_the_spiders_extraction(crawled: CrawlResult) -> None:
    item = crawled.items("articles")[0]
    got = shell_json(
        crawled.archive_dir,
        item["url"],
        "[__import__('crawler.extraction.article', fromlist=['x']).extract_article_page("
        "__import__('crawler.extraction.page', fromlist=['x']).parse_html("
        "response.body, response.url, "
        "response.headers.get('Content-Type', b'').decode()), profile).title, "
        "sum(1 for r in spider.parse(response) if not isinstance(r, scrapy.Request))]",
    )
    assert got == [item["title"], 1]


def test_warcshell_accepts_every_form_of_a_url(crawled: CrawlResult) -> None:
    expr = "[capture.filename, capture.offset, response.url]"
    article = crawled.items("articles")[0]["url"]
    alias = article.replace(".shtml", "_01.shtml")
    upper = article.replace("http://sznews.zjol.com.cn", "http://SZNEWS.zjol.com.cn:80")
    want = shell_json(crawled.archive_dir, article, expr)
    assert want[2] == article
    assert shell_json(crawled.archive_dir, alias, expr) == want
    assert shell_json(crawled.archive_dir, upper, expr) == want
    section = next(s["url"] for s in crawled.items("sections") if s["kind"] == "column")
    assert section.endswith("/index.shtml")
    want = shell_json(crawled.archive_dir, section, expr)
    assert want[2] == section
    assert shell_json(crawled.archive_dir, section.removesuffix("index.shtml"), expr) == want
    no_scheme = section.removeprefix("http://").removesuffix("index.shtml")
    assert shell_json(crawled.archive_dir, no_scheme, expr) == want


def test_warcshell_unknown_url_exits_1(crawled: CrawlResult) -> None:
    url = "http://sznews.zjol.com.cn/sznews/system/1999/01/01/000000000.shtml"
    proc = scrapy("warcshell", url, "-s", f"ARCHIVE_DIR={crawled.archive_dir}", "-c", "1")
    assert proc.returncode == 1
    assert "not archived" in proc.stderr and url in proc.stderr
    assert proc.stdout.strip() == ""


def test_warcshell_never_fetches(crawled: CrawlResult) -> None:
    url = crawled.items("articles")[0]["url"]
    proc = scrapy(
        "warcshell", url, "-s", f"ARCHIVE_DIR={crawled.archive_dir}", "-c", f"fetch({url!r})"
    )
    assert proc.returncode != 0
    assert "never touches the network" in proc.stderr


def test_commands_are_listed() -> None:
    proc = scrapy("-h")
    assert "warcshell" in proc.stdout and "reextract" in proc.stdout
    for command in ("warcshell", "reextract"):
        proc = scrapy(command, "-h")
        assert proc.returncode == 0 and "ARCHIVE_DIR" in proc.stdout



def test_reextract_follows_a_grown_and_corrected_site(tmp_path_factory) -> None:
    """Run 2 sees new articles and corrected ones: reextract gives each URL's newest item."""
    archive_dir = tmp_path_factory.mktemp("corrected")
    with start_replica(articles=30, seed=3) as replica:
        first = run_crawl(archive_dir, proxy_url=replica.proxy_url)
        assert first.returncode == 0, first.output[-5000:]
    items = first.items("articles")
    single = next(i["url"] for i in items if len(i["pages"]) == 1)
    multi = next(i["url"] for i in items if len(i["pages"]) > 1)
    corrected = tuple(urlsplit(u).path for u in (single, multi))
    with start_replica(articles=30, seed=3, grow=3, correct=corrected) as replica:
        second = run_crawl(archive_dir, proxy_url=replica.proxy_url,
                           settings={"INCREMENTAL_POLICY": "all"})
        assert second.returncode == 0, second.output[-5000:]
    articles, sections, _log = reextract(archive_dir, tmp_path_factory.mktemp("out"))
    live = latest_items(second, "articles")
    assert len(live) == 33
    assert_same_items(live, articles)
    assert_same_items(latest_items(second, "sections"), sections)
    by_url = {i["url"]: i for i in articles}
    assert "\n" in by_url[single]["body"] and by_url[single]["body"] != next(
        i["body"] for i in items if i["url"] == single
    ), "the correction did not reach the rebuilt item"
    assert by_url[single]["version"] == 2
    changed = {i["url"] for i in articles if i["version"] != 1}
    assert single in changed and changed <= {single, multi}
