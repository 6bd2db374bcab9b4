"""`scrapy warcshell` and `scrapy reextract`, run as a user would, on real crawls of the replica.

Every command runs with `http_proxy` pointing at a closed port: a command that tried the
network would fail (or hang) instead of passing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from archive.reader import iter_records
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


def without_fetched(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "fetched"}


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
        assert without_fetched(item) == without_fetched(expected), item["url"]


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
    assert_same_items(live, articles)
    for item in articles:
        # fetched: page 1's WARC-Date (fetch start), never after the live callback's clock.
        assert len(item["fetched"]) == 20 and item["fetched"].endswith("Z")
        assert item["fetched"] <= live[item["url"]]["fetched"]


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


# --------------------------------------------------------------------------- revisits


@pytest.fixture(scope="module")
def recrawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrawlResult]:
    """Two crawls of one replica into one archive: the second one writes revisits."""
    archive_dir = tmp_path_factory.mktemp("recrawled")
    with start_replica(articles=30, seed=3) as replica:
        for _ in range(2):
            result = run_crawl(archive_dir, proxy_url=replica.proxy_url)
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
        "'item': __import__('pipelines.jsonl', fromlist=['x']).item_line(item).decode()}",
    )
    assert got["status"] == 200
    assert got["url"] == got["request"] == item["url"]
    assert got["cls"] == "HtmlResponse" and not got["encoded"]
    assert got["title"] == item["title"]
    assert got["head"].startswith(item["title"])
    assert got["spider"] == "sznews"
    assert got["meta"] == item["warc"]
    assert without_fetched(json.loads(got["item"])) == without_fetched(item)
    assert snapshot(crawled.archive_dir) == before, "warcshell changed the archive"


def test_warcshell_runs_the_spiders_extraction(crawled: CrawlResult) -> None:
    item = crawled.items("articles")[0]
    got = shell_json(
        crawled.archive_dir,
        item["url"],
        "[__import__('crawler.extract', fromlist=['x']).extract_article_page("
        "__import__('crawler.extract', fromlist=['x']).parse_html(response.body, response.url, "
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
        second = run_crawl(archive_dir, proxy_url=replica.proxy_url)
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
    if "version" in by_url[single]:  # the crawl numbers versions across runs
        assert by_url[single]["version"] == 2
        changed = {i["url"] for i in articles if i["version"] != 1}
        assert single in changed and changed <= {single, multi}
