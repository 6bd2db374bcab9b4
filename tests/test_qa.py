"""`python -m archive qa`: the crawl replays whole in a real browser, and broken replay shows.

The browser tests run the command as a user does (a subprocess of the crawl venv, which
starts wayback and the Playwright driver in .venv-replay) on the session's crawl of the
replica, on a copy of it with one image's records cut out, and on a tiny archive written
with the project's own writer whose pages link an uncaptured image or reach for the live
web. Everything waits on events (process exit, page load); nothing sleeps.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from archive.index import write_cdxj_index
from archive.members import iter_gzip_members, parse_record
from archive.qa import PageJob, QaSetupError, collect_pages, judge, sample_pages
from archive.qa.browser import DRIVER, find_chromium
from archive.qa.judge import original_url
from archive.records import Exchange, HttpRequestData, HttpResponseData
from archive.replay import ReplayEnvError, find_replay_venv
from archive.writer import WarcFileWriter
from tests.crawling import ROOT, CrawlResult, crawl_env
from tests.test_replay import on_ci

SITE = "http://sznews.zjol.com.cn"
WAYBACK = "http://127.0.0.1:8080"
LEAK_URL = "http://leak.invalid/x.js"
NEVER_TAKEN = f"{SITE}/pic/0/99/never-crawled.jpg"


def qa_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive", "qa", *args], cwd=ROOT,
                          env=crawl_env(None), capture_output=True, text=True, timeout=600)


# --------------------------------------------------------------------------- no browser


def _job(**overrides: Any) -> PageJob:
    fields: dict[str, Any] = {"kind": "article", "url": f"{SITE}/a.shtml",
                              "target": f"{SITE}/a.shtml", "timestamp": "20240501083000",
                              "title": "剡湖街道组织专家义诊", "paragraph": "动员全体干部。"}
    return PageJob(**{**fields, **overrides})


def _seen(**overrides: Any) -> dict[str, Any]:
    page = f"{WAYBACK}/sznews/20240501083000mp_/{SITE}/a.shtml"
    return {"replay_url": page, "status": 200, "title": "剡湖街道组织专家义诊-嵊州新闻网",
            "text": "剡湖街道组织专家义诊\n\n\u3000\u3000动员全体干部。\n",
            "responses": [{"url": page, "status": 200},
                          {"url": f"{WAYBACK}/static/wombat.js", "status": 200}],
            "failures": [], "leaks": [], "error": None, **overrides}


def test_judge_whole_page() -> None:
    row = judge(_job(), _seen(), WAYBACK)
    assert row["whole"] and row["problems"] == []
    assert (row["resources"], row["title_found"], row["paragraph_found"]) == (2, True, True)


def test_judge_names_the_archived_url_of_a_failed_resource_and_the_leak() -> None:
    missing = f"{WAYBACK}/sznews/20240501083000im_/{NEVER_TAKEN}"
    row = judge(_job(), _seen(responses=[{"url": missing, "status": 404}],
                              failures=[{"url": f"{WAYBACK}/static/x.js", "error": "net::X"}],
                              leaks=[LEAK_URL]), WAYBACK)
    assert not row["whole"]
    assert row["failed"] == [
        {"url": NEVER_TAKEN, "replay_url": missing, "status": 404},
        {"url": f"{WAYBACK}/static/x.js", "replay_url": f"{WAYBACK}/static/x.js",
         "error": "net::X"},
    ]
    assert row["leaks"] == [LEAK_URL]
    assert row["problems"] == ["2 failed", "1 live-web"]


def test_judge_page_that_shows_something_else() -> None:
    row = judge(_job(), _seen(title="网站维护中", text="网站维护中"), WAYBACK)
    assert row["problems"] == ["title not shown", "first paragraph not shown"]
    assert not judge(_job(), _seen(status=404), WAYBACK)["whole"]
    assert judge(_job(), _seen(error="Timeout"), WAYBACK)["problems"] == ["error: Timeout"]
    # A section has no body: only its name is looked for.
    assert judge(_job(paragraph=None), _seen(text="剡湖街道组织专家义诊"), WAYBACK)["whole"]


def test_original_url() -> None:
    assert original_url(f"{WAYBACK}/sznews/20240501083000cs_/{SITE}/s.css", WAYBACK) == (
        f"{SITE}/s.css")
    assert original_url(f"{WAYBACK}/sznews/20240501083000/{SITE}/?a=1", WAYBACK) == (
        f"{SITE}/?a=1")
    assert original_url(f"{WAYBACK}/static/wombat.js", WAYBACK) is None
    assert original_url(LEAK_URL, WAYBACK) is None


def test_sample_is_spread_and_reproducible() -> None:
    pages = [_job(url=f"{SITE}/{i}.shtml") for i in range(10)]
    assert [p.url for p in sample_pages(pages, 3)] == [f"{SITE}/{i}.shtml" for i in (0, 3, 6)]
    assert sample_pages(pages, 3) == sample_pages(pages, 3)
    assert sample_pages(pages, None) == pages == sample_pages(pages, 50)


def test_pages_are_every_item_at_its_capture(crawled: CrawlResult) -> None:
    warnings: list[str] = []
    pages = collect_pages(crawled.archive_dir, warnings)
    assert warnings == []
    articles, sections = crawled.items("articles"), crawled.items("sections")
    assert sorted(p.url for p in pages) == sorted(i["url"] for i in articles + sections)
    by_url = {p.url: p for p in pages}
    for article in articles:
        page = by_url[article["url"]]
        assert page.kind == "article" and page.title == article["title"]
        assert len(page.timestamp) == 14 and page.paragraph and page.paragraph in article["body"]
    assert all(by_url[s["url"]].title == s["name"] for s in sections)


def test_no_chromium_says_how_to_get_one(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SZNEWS_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(QaSetupError, match="make replay-env"):
        find_chromium()
    monkeypatch.setenv("SZNEWS_CHROMIUM", str(tmp_path / "nope"))
    with pytest.raises(QaSetupError, match="SZNEWS_CHROMIUM"):
        find_chromium()


def test_cli_without_chromium_says_so_and_exits_2(crawled: CrawlResult, tmp_path: Path) -> None:
    env = {**crawl_env(None), "SZNEWS_CHROMIUM": str(tmp_path / "no-chromium")}
    proc = subprocess.run([sys.executable, "-m", "archive", "qa", str(crawled.archive_dir)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "SZNEWS_CHROMIUM" in proc.stderr and "not an executable" in proc.stderr


def test_driver_without_playwright_says_how_to_get_it() -> None:
    """The crawl venv has no Playwright: the driver must say so in its protocol, not crash."""
    config = {"wayback": WAYBACK, "chromium": "/nonexistent", "pages": []}
    proc = subprocess.run([sys.executable, str(DRIVER)], input=json.dumps(config),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    event = json.loads(proc.stdout)
    assert event["event"] == "error" and "make replay-env" in event["message"]


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def qa_ready() -> None:
    """Skip locally without the replay venv, Playwright or Chromium; FAIL in CI."""
    try:
        venv = find_replay_venv()
        find_chromium()
    except (ReplayEnvError, QaSetupError) as exc:
        if on_ci():
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(str(exc))
    probe = subprocess.run([str(venv / "bin" / "python"), "-c", "import playwright"],
                           capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        message = f"Playwright missing in {venv}: run `make replay-env`"
        if on_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def _report(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


@pytest.mark.replay
def test_crawled_replica_replays_whole(qa_ready: None, crawled: CrawlResult,
                                       tmp_path: Path) -> None:
    out = tmp_path / "qa.json"
    proc = qa_cli(str(crawled.archive_dir), "--sample", "16", "--json", str(out),
                  "--timeout", "120")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = _report(out)
    summary, rows = report["summary"], report["pages"]
    assert summary["pages"] == len(rows) == 16
    assert summary["bad"] == summary["failed"] == summary["leaks"] == 0
    assert summary["sections"] >= 1 and summary["articles"] >= 1
    assert f"qa: 16 pages checked ({summary['articles']} articles" in proc.stdout
    assert "16/16 pages checked" in proc.stderr  # the progress display
    for row in rows:
        assert row["whole"] and row["status"] == 200, row
        assert row["title_found"] is True, row
        if row["kind"] == "article":
            assert row["paragraph_found"] is True, row
            assert row["resources"] >= 5, row  # page, wombat, CSS, JS, logo at least


def _without(archive: Path, target: str) -> None:
    """Rewrite archive's WARCs without any record of target; re-point items; re-index."""
    moved: dict[str, tuple[str, int, int]] = {}
    removed = 0
    for warc in sorted((archive / "warc").glob("*.warc.gz")):
        data = warc.read_bytes()
        kept = bytearray()
        with open(warc, "rb") as fh:
            for member in iter_gzip_members(fh):
                assert member.data is not None, f"{warc} is broken at {member.offset}"
                record = parse_record(member.data)
                if record.get("WARC-Target-URI") == target:
                    removed += 1
                    continue
                moved[str(record.get("WARC-Record-ID"))] = (warc.name, len(kept), member.length)
                kept += data[member.offset:member.offset + member.length]
        warc.write_bytes(bytes(kept))
    assert removed >= 2, f"expected a response and a request for {target}, removed {removed}"
    for items in (archive / "items").glob("*/*.jsonl"):
        lines = []
        for line in items.read_text("utf-8").splitlines():
            item = json.loads(line)
            filename, offset, length = moved[item["warc"]["record_id"]]
            item["warc"].update(filename=filename, offset=offset, length=length)
            lines.append(json.dumps(item, ensure_ascii=False))
        items.write_text("".join(f"{line}\n" for line in lines), "utf-8")
    write_cdxj_index(sorted((archive / "warc").glob("*.warc.gz")), archive / "index.cdxj")


@pytest.mark.replay
def test_archive_missing_an_image_is_reported_with_its_url(
    qa_ready: None, crawled: CrawlResult, tmp_path: Path
) -> None:
    article = next(a for a in crawled.items("articles") if a.get("images"))
    image = article["images"][0]["url"]
    copy = tmp_path / "archive"
    shutil.copytree(crawled.archive_dir, copy, ignore=shutil.ignore_patterns("replay"))
    # Only that article is checked: the items list what qa loads.
    for items in (copy / "items").glob("*/*.jsonl"):
        items.unlink()
    run_dir = sorted((crawled.archive_dir / "items").iterdir())[-1].name
    (copy / "items" / run_dir / "articles.jsonl").write_text(
        json.dumps(article, ensure_ascii=False) + "\n", "utf-8")
    _without(copy, image)

    out = tmp_path / "qa.json"
    proc = qa_cli(str(copy), "--json", str(out), "--timeout", "120")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (row,) = _report(out)["pages"]
    assert row["url"] == article["url"] and not row["whole"]
    assert row["status"] == 200 and row["title_found"] and row["paragraph_found"]
    assert [(f["url"], f.get("status")) for f in row["failed"]] == [(image, 404)]
    assert row["leaks"] == []
    assert f"failed 404: {image}" in proc.stdout  # the table of bad pages names it
    assert "1 bad" in proc.stdout


def _synthetic_archive(tmp_path: Path) -> Path:
    """Three pages written with the project's writer: whole, uncaptured image, live leak.

    The leak is a dynamic import() of a URL assembled at run time: pywb's rewriting cannot see
    it in the HTML, and wombat (which wraps fetch, XHR and element attributes) cannot hook
    import(), so the browser asks the live host itself. An image with an absolute URL would
    not do: pywb rewrites it into the archive, where it is a 404 (a failure, not a leak).
    """
    archive = tmp_path / "synthetic"
    date = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    writer = WarcFileWriter(archive / "warc", prefix="sznews", host="qa", max_size=10**7,
                            warcinfo_fields={"software": "test"}, clock=lambda: date)

    def capture(path: str, content_type: str, body: bytes) -> dict[str, Any]:
        response = writer.write_exchange(Exchange(
            url=SITE + path, date=date, ip_address=None,
            request=HttpRequestData("GET", path, "HTTP/1.1", [("Host", "sznews.zjol.com.cn")]),
            response=HttpResponseData("HTTP/1.1", 200, "OK",
                                      [("Content-Type", content_type)], body),
        ))[0]
        return {"filename": response.filename, "offset": response.offset,
                "length": response.length, "record_id": response.record_id}

    capture("/sznews/images/ok.gif", "image/gif",
            b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff,\x00\x00\x00\x00"
            b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
    pages = {
        # data: and blob: URLs are not requests to anywhere: not leaks.
        "whole": ('<img src="/sznews/images/ok.gif"><img src="data:image/gif;base64,R0lGODlh'
                  'AQABAIAAAAAAAP///ywAAAAAAQABAAACAUQAOw=="><script>var u = URL.createObjectURL('
                  'new Blob(["x"])); fetch(u);</script>'),
        "missing": f'<img src="/sznews/images/ok.gif"><img src="{NEVER_TAKEN}">',
        "leak": ("<script>import('http://' + 'leak.invalid/x.js').catch(function () {});"
                 "</script>"),
    }
    items = []
    for name, extra in pages.items():
        title, paragraph = f"测试{name}页", f"第一段{name}。"
        html = (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
                f"<h1>{title}</h1><p>\u3000\u3000{paragraph}</p>{extra}</body></html>")
        path = f"/sznews/system/2024/05/01/{name}.shtml"
        pointer = capture(path, "text/html; charset=utf-8", html.encode("utf-8"))
        items.append({"url": SITE + path, "title": title, "body": f"{paragraph}\n第二段。",
                      "warc": pointer})
    writer.close()
    write_cdxj_index(writer.files, archive / "index.cdxj")
    run_dir = archive / "items" / "20240501T083000Z"
    run_dir.mkdir(parents=True)
    (run_dir / "articles.jsonl").write_text(
        "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    return archive


@pytest.mark.replay
def test_uncaptured_resource_and_live_web_request_are_reported(qa_ready: None,
                                                               tmp_path: Path) -> None:
    archive = _synthetic_archive(tmp_path)
    out, shots = tmp_path / "qa.json", tmp_path / "shots"
    proc = qa_cli(str(archive), "--json", str(out), "--screenshots", str(shots),
                  "--timeout", "120")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rows = {row["url"].rsplit("/", 1)[1]: row for row in _report(out)["pages"]}
    for row in rows.values():  # a screenshot of every page, bad ones included
        assert Path(row["screenshot"]).parent == shots.resolve()
        assert Path(row["screenshot"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert rows["whole.shtml"]["whole"], rows["whole.shtml"]
    missing, leak = rows["missing.shtml"], rows["leak.shtml"]
    assert [(f["url"], f.get("status")) for f in missing["failed"]] == [(NEVER_TAKEN, 404)]
    assert missing["leaks"] == [] and missing["title_found"] and missing["paragraph_found"]
    assert leak["leaks"] == [LEAK_URL] and leak["failed"] == [], leak
    assert leak["problems"] == ["1 live-web"]
    assert f"live web: {LEAK_URL}" in proc.stdout
    assert "3 pages checked (3 articles, 0 sections): 1 whole, 2 bad" in proc.stdout


@pytest.mark.replay
def test_wacz_of_the_crawl_replays_whole(qa_ready: None, crawled: CrawlResult,
                                         tmp_path: Path) -> None:
    """The WACZ's own WARCs, index and pages.jsonl, not the directory it was made from."""
    wacz = tmp_path / "crawl.wacz"
    made = subprocess.run([sys.executable, "-m", "archive", "wacz", str(crawled.archive_dir),
                           "-o", str(wacz)], cwd=ROOT, env=crawl_env(None),
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stdout + made.stderr
    out = tmp_path / "qa.json"
    proc = qa_cli(str(wacz), "--sample", "8", "--json", str(out), "--timeout", "120")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = _report(out)
    assert report["summary"]["pages"] == 8 and report["summary"]["bad"] == 0
    assert all(row["title_found"] is True and row["resources"] >= 5
               for row in report["pages"]), report["pages"]


def test_qa_collection_is_unframed(tmp_path: Path) -> None:
    """Framed replay would bounce a top-level mp_ page into pywb's frame (and its requests)."""
    from archive.replay import prepare_collection
    from tests.test_replay import tiny_archive

    archive = tiny_archive(tmp_path)
    prepare_collection(archive, tmp_path / "framed")
    prepare_collection(archive, tmp_path / "unframed", framed=False)
    assert "framed_replay: true\n" in (tmp_path / "framed" / "config.yaml").read_text()
    assert "framed_replay: false\n" in (tmp_path / "unframed" / "config.yaml").read_text()
