"""Replay of a real crawl in pywb: what a reader of the archive would actually see.

pywb runs from its own venv as a subprocess (archive.replay), one wayback per module. The
article sample is chosen from the crawl's own output so that every template generation, a
multi-page article and both stored encodings (gzip and identity) are covered.
"""

from __future__ import annotations

import gzip
import html
import http.server
import json
import os
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from archive.reader import StoredRecord, read_record
from archive.replay import (
    CONFIG_MARKER,
    DEFAULT_COLLECTION,
    CollectionError,
    ReplayEnvError,
    WaybackProcess,
    find_replay_venv,
    iter_index_entries,
    prepare_collection,
    replay_url,
    start_wayback,
    wayback_timestamp,
)
from tests.crawling import CrawlResult

pytestmark = pytest.mark.replay

SITE = "http://sznews.zjol.com.cn"
NEVER_CRAWLED = f"{SITE}/sznews/system/2099/01/01/099999999.shtml"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # surface the 3xx itself


_NO_PROXY = urllib.request.ProxyHandler({})  # never via a proxy, whatever the environment says
_OPENER = urllib.request.build_opener(_NO_PROXY, _NoRedirect())
_FOLLOWING_OPENER = urllib.request.build_opener(_NO_PROXY)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.I)
_GB_ALIASES = {"gb2312", "gbk", "x-gbk", "gb_2312-80", "cp936"}


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _require_replay_venv() -> Path:
    """Skip locally without pywb, but FAIL in CI where a missing env means a broken setup."""
    try:
        return find_replay_venv()
    except ReplayEnvError as exc:
        if on_ci():  # the message already says to run `make replay-env`
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(str(exc))


# --------------------------------------------------------------------------- HTTP helpers


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Any  # email.message.Message: case-insensitive, keeps repeated headers
    body: bytes  # transfer-decoded (de-chunked) but NOT content-decoded

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def fetch(url: str, *, accept_encoding: str = "identity", follow: bool = False) -> Reply:
    """GET without proxies or automatic gzip decoding (nor redirects, unless asked)."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": accept_encoding})
    opener = _FOLLOWING_OPENER if follow else _OPENER
    try:
        with opener.open(request, timeout=30) as resp:
            return Reply(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return Reply(err.code, err.headers, err.read())


def _http_date_stamp(value: str | None) -> str:
    assert value, "no Memento-Datetime header"
    return wayback_timestamp(parsedate_to_datetime(value))


def decode_html(body: bytes, content_type: str | None) -> str:
    """Decode like a browser: HTTP charset, else <meta>, else GB18030 (the site's default)."""
    charset = None
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
    if not charset:
        match = _META_CHARSET.search(body[:4096])
        charset = match.group(1).decode("ascii").lower() if match else "gb18030"
    if charset in _GB_ALIASES:
        charset = "gb18030"  # what browsers really use for gb2312 labels
    return html.unescape(body.decode(charset, errors="replace"))


# --------------------------------------------------------------------------- the sample


@dataclass(frozen=True)
class Sample:
    role: str
    item: dict[str, Any]
    record: StoredRecord  # the record the item's `warc` pointer designates
    payload: bytes  # the HTTP payload as stored (for a revisit: in the original record)
    timestamp: str  # 14 digits, from the record's WARC-Date

    @property
    def url(self) -> str:
        return self.item["url"]

    @property
    def content_encoding(self) -> str | None:
        assert self.record.http_headers is not None
        return self.record.http_headers.get_header("Content-Encoding")

    @property
    def content_type(self) -> str | None:
        assert self.record.http_headers is not None
        return self.record.http_headers.get_header("Content-Type")

    def stored_html(self) -> str:
        body = self.payload
        if self.content_encoding == "gzip":
            body = gzip.decompress(body)
        return decode_html(body, self.content_type)


def _year(item: dict[str, Any]) -> int:
    match = re.search(r"/system/(\d{4})/", item["url"])
    assert match, item["url"]
    return int(match.group(1))


# Role -> (predicate, required). Generation is checked on the stored HTML as well as on the
# URL's date, so a template misclassification cannot silently pass as the other one.
ROLES: dict[str, tuple[Callable[[Sample], bool], bool]] = {
    "table-2008-2015": (
        lambda s: _year(s.item) < 2016 and "artTitle" in s.stored_html(), True),
    "div-2016-2018": (lambda s: 2016 <= _year(s.item) < 2019 and "contTit" in s.stored_html(),
                      True),
    # The markup written blind (2019 on): read by the text conventions, replayed the same.
    "plain-2019+": (lambda s: _year(s.item) >= 2019 and s.item.get("extracted_by") == "text"
                    and 'class="wzbox"' in s.stored_html(), True),
    "multi-page": (lambda s: len(s.item.get("pages") or []) > 1, True),
    "gzip-stored": (lambda s: s.content_encoding == "gzip", False),
    "identity-stored": (lambda s: not s.content_encoding, False),
    "no-http-charset": (lambda s: "charset" not in (s.content_type or "").lower(), False),
}  # an item pointing at a revisit comes only from a later run: test_a_revisit_replays


def load_record(archive_dir: Path, pointer: dict[str, Any]) -> StoredRecord:
    return read_record(archive_dir / "warc" / pointer["filename"], pointer["offset"],
                       pointer["length"])


class Originals:
    """Payload lookup for identical-payload revisits, the way pywb does it: by (URL, digest)."""

    def __init__(self, archive_dir: Path) -> None:
        self.archive_dir = archive_dir
        self.by_key: dict[tuple[str, str], dict[str, Any]] = {}
        self.by_url: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for _key, stamp, fields in iter_index_entries(archive_dir / "index.cdxj"):
            self.by_url.setdefault(fields["url"], []).append((stamp, fields))
            if fields.get("mime") != "warc/revisit":
                self.by_key.setdefault((fields["url"], fields.get("digest", "")), fields)

    def record(self, fields: dict[str, Any]) -> StoredRecord:
        return read_record(self.archive_dir / "warc" / fields["filename"],
                           int(fields["offset"]), int(fields["length"]))

    def payload_of(self, record: StoredRecord) -> bytes:
        if record.rec_type != "revisit":
            return record.payload
        headers = record.rec_headers
        key = (headers.get_header("WARC-Refers-To-Target-URI") or "",
               headers.get_header("WARC-Payload-Digest") or "")
        assert key in self.by_key, f"revisit {record.record_id} has no original {key}"
        return self.record(self.by_key[key]).payload


def choose_sample(crawled: CrawlResult) -> dict[str, Sample | None]:
    """One distinct article per role (first match in crawl order, so it is reproducible)."""
    originals = Originals(crawled.archive_dir)
    candidates: list[Sample] = []
    for item in crawled.items("articles"):
        if not item.get("warc") or not item.get("title"):
            continue
        record = load_record(crawled.archive_dir, item["warc"])
        stamp = wayback_timestamp(record.rec_headers.get_header("WARC-Date"))
        candidates.append(Sample("", item, record, originals.payload_of(record), stamp))
    chosen: dict[str, Sample | None] = {}
    used: set[str] = set()
    for role, (predicate, _required) in ROLES.items():
        pick = next((c for c in candidates if c.url not in used and predicate(c)), None)
        if pick is None:  # prefer distinct articles, but accept a reuse over no coverage
            pick = next((c for c in candidates if predicate(c)), None)
        if pick is not None:
            used.add(pick.url)
            pick = Sample(role, pick.item, pick.record, pick.payload, pick.timestamp)
        chosen[role] = pick
    return chosen


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def replay_venv() -> Path:
    """Session scope so it is resolved before the (session) crawl: no crawl just to skip."""
    return _require_replay_venv()


@pytest.fixture(scope="module")
def wayback(
    replay_venv: Path, crawled: CrawlResult, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WaybackProcess]:
    root = tmp_path_factory.mktemp("replay-root")
    prepare_collection(crawled.archive_dir, root, DEFAULT_COLLECTION)
    with start_wayback(root, venv=replay_venv) as wb:
        yield wb


@pytest.fixture(scope="module")
def sample(crawled: CrawlResult) -> dict[str, Sample | None]:
    return choose_sample(crawled)


def _sample_for(sample: dict[str, Sample | None], role: str) -> Sample:
    pick = sample[role]
    if pick is None:
        if ROLES[role][1]:
            pytest.fail(f"the crawl produced no article for required role {role!r}")
        pytest.skip(f"no article in this crawl is {role}")
    return pick


def _url(wb: WaybackProcess, s: Sample, mode: str, url: str | None = None) -> str:
    return replay_url(wb.url, DEFAULT_COLLECTION, s.timestamp, url or s.url, mode)


# --------------------------------------------------------------------------- tests


def test_replay_env_available() -> None:
    """An explicit FAILED line in CI (not only setup errors) when .venv-replay is missing."""
    assert _require_replay_venv().is_dir()


def test_sample_covers_required_roles(sample: dict[str, Sample | None]) -> None:
    picked = {role: s.url for role, s in sample.items() if s is not None}
    missing = [role for role, (_p, required) in ROLES.items() if required and role not in picked]
    assert not missing, f"no article for {missing}; picked {picked}"
    assert len(set(picked.values())) >= 5, picked


@pytest.mark.parametrize("role", list(ROLES))
def test_mp_replay_shows_title(
    wayback: WaybackProcess, sample: dict[str, Sample | None], role: str
) -> None:
    s = _sample_for(sample, role)
    reply = fetch(_url(wayback, s, "mp_"))
    assert reply.status == 200, reply.body[:500]
    # pywb must have rewritten (hence decoded) the page: no encoding may leak to the browser.
    assert reply.header("Content-Encoding") is None
    assert _http_date_stamp(reply.header("Memento-Datetime")) == s.timestamp
    page = decode_html(reply.body, reply.header("Content-Type"))
    assert "WB Insert" in page, "not rewritten by pywb"
    assert s.item["title"] in page
    # Template markers survive rewriting (the archived layout is what replays).
    for marker in ("artTitle", "contTit", "wzbox"):
        assert (marker in page) == (marker in s.stored_html())


@pytest.mark.parametrize("role", list(ROLES))
def test_id_replay_returns_stored_bytes(
    wayback: WaybackProcess, sample: dict[str, Sample | None], role: str
) -> None:
    """id_ with a browser-like Accept-Encoding gives back the stored payload byte for byte.

    The WARC keeps bodies as received (gzip included). pywb passes such a body through
    untouched, with its Content-Encoding header, when the client accepts that encoding; so
    with "gzip" accepted the bytes must equal the record's payload exactly.
    """
    s = _sample_for(sample, role)
    reply = fetch(_url(wayback, s, "id_"), accept_encoding="gzip, deflate")
    assert reply.status == 200
    assert reply.body == s.payload
    assert reply.header("Content-Encoding") == s.content_encoding
    assert reply.header("Content-Type") == s.content_type


def test_id_replay_decodes_for_clients_without_gzip(
    wayback: WaybackProcess, sample: dict[str, Sample | None]
) -> None:
    """pywb decodes instead when the client does not accept the stored encoding.

    Its check is `content_encoding not in accept_encoding`: the body then is the decoded
    payload, and the original header moves to X-Archive-Orig-Content-Encoding. Still the
    stored content, just not the stored bytes; the test pins that behaviour down.
    """
    s = _sample_for(sample, "gzip-stored")
    reply = fetch(_url(wayback, s, "id_"), accept_encoding="identity")
    assert reply.status == 200
    assert reply.header("Content-Encoding") is None
    assert reply.header("X-Archive-Orig-Content-Encoding") == "gzip"
    assert reply.body == gzip.decompress(s.payload)


def test_every_page_of_multi_page_article_replays(
    wayback: WaybackProcess, sample: dict[str, Sample | None], crawled: CrawlResult
) -> None:
    """Pages 2..n have no pointer in the item; find them in index.cdxj as pywb would."""
    s = _sample_for(sample, "multi-page")
    originals = Originals(crawled.archive_dir)
    for page_url in s.item["pages"]:
        assert page_url in originals.by_url, f"{page_url} not in index.cdxj"
        stamp, fields = originals.by_url[page_url][-1]
        record = originals.record(fields)
        assert record.target_uri == page_url
        url = replay_url(wayback.url, DEFAULT_COLLECTION, stamp, page_url, "id_")
        raw = fetch(url, accept_encoding="gzip")
        assert raw.status == 200 and raw.body == originals.payload_of(record), page_url
        rewritten = fetch(replay_url(wayback.url, DEFAULT_COLLECTION, stamp, page_url, "mp_"))
        assert rewritten.status == 200, page_url
        assert "WB Insert" in decode_html(rewritten.body, rewritten.header("Content-Type"))
    first = fetch(_url(wayback, s, "mp_"))
    assert s.item["title"] in decode_html(first.body, first.header("Content-Type"))


@pytest.mark.parametrize("mode", ["mp_", "id_", ""])
def test_never_crawled_url_is_404(wayback: WaybackProcess, mode: str) -> None:
    reply = fetch(replay_url(wayback.url, DEFAULT_COLLECTION, None, NEVER_CRAWLED, mode))
    assert reply.status == 404


class _Sentinel(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        type(self).hits.append(self.path)
        body = b"<html><title>LIVE</title></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def live_sentinel() -> Iterator[tuple[str, list[str]]]:
    """A reachable 'live web' that records any request, to prove pywb never goes live."""
    hits: list[str] = []
    handler = type("Sentinel", (_Sentinel,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_no_live_fetch_for_uncaptured_url(
    wayback: WaybackProcess, live_sentinel: tuple[str, list[str]]
) -> None:
    """A reachable uncaptured URL is not fetched: not via the collection, nor a /live route."""
    base, hits = live_sentinel
    assert fetch(f"{base}/probe").status == 200 and hits == ["/probe"]  # it is reachable
    hits.clear()
    target = f"{base}/never-archived.html"
    for mode in ("mp_", "id_", ""):
        reply = fetch(replay_url(wayback.url, DEFAULT_COLLECTION, None, target, mode))
        assert reply.status == 404, (mode, reply.body[:300])
        assert b"LIVE" not in reply.body
    for path in (f"/live/mp_/{target}", f"/live/{target}", f"/{target}"):
        assert fetch(wayback.url + path, follow=True).status == 404, path
    assert hits == [], f"pywb fetched from the live web: {hits}"


def test_only_the_archive_collection_is_served(wayback: WaybackProcess) -> None:
    listing = json.loads(fetch(f"{wayback.url}/collinfo.json").body)
    assert listing == {"fixed": [], "dynamic": [DEFAULT_COLLECTION]}


# --------------------------------------------------------------------------- layout (no pywb)


def tiny_archive(tmp_path: Path) -> Path:
    """A one-record ARCHIVE_DIR written with the project's own writer and indexer."""
    from archive.index import write_cdxj_index
    from archive.records import Exchange, HttpRequestData, HttpResponseData
    from archive.writer import WarcFileWriter

    archive_dir = tmp_path / "archive"
    date = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    writer = WarcFileWriter(archive_dir / "warc", prefix="sznews", host="t", max_size=10**6,
                            warcinfo_fields={"software": "test"}, clock=lambda: date)
    body = "<html><title>嵊州</title></html>".encode("gb18030")
    writer.write_exchange(Exchange(
        url=f"{SITE}/sznews/a.shtml", date=date, ip_address=None,
        request=HttpRequestData("GET", "/sznews/a.shtml", "HTTP/1.1", []),
        response=HttpResponseData("HTTP/1.1", 200, "OK",
                                  [("Content-Type", "text/html; charset=gb2312")], body),
    ))
    writer.close()
    write_cdxj_index(writer.files, archive_dir / "index.cdxj")
    (archive_dir / "warc" / "leftover.warc.gz.open").write_bytes(b"")
    return archive_dir


def test_prepare_collection_layout(tmp_path: Path) -> None:
    archive_dir = tiny_archive(tmp_path)
    root = tmp_path / "root"
    coll = prepare_collection(archive_dir, root)
    assert coll == root / "collections" / DEFAULT_COLLECTION
    links = sorted((coll / "archive").iterdir())
    assert [p.name for p in links] == [p.name for p in sorted((archive_dir / "warc").glob(
        "*.warc.gz"))]
    assert all(p.is_symlink() and p.resolve().parent == archive_dir / "warc" for p in links)
    index = coll / "indexes" / "index.cdxj"
    assert not index.is_symlink()
    assert index.read_bytes() == (archive_dir / "index.cdxj").read_bytes()
    config = (root / "config.yaml").read_text("utf-8")
    assert config.startswith(CONFIG_MARKER)
    keys = {line.split(":")[0] for line in config.splitlines() if line and line[0] != "#"}
    assert not keys & {"collections", "proxy", "recorder", "autoindex", "certificates"}

    # Re-running refreshes: stale links and stale indexes from an earlier run disappear.
    (coll / "archive" / "gone.warc.gz").symlink_to(tmp_path / "nowhere.warc.gz")
    (coll / "indexes" / "old.cdxj").write_text("")
    assert prepare_collection(archive_dir, root) == coll
    assert [p.name for p in sorted((coll / "archive").iterdir())] == [p.name for p in links]
    assert [p.name for p in (coll / "indexes").iterdir()] == ["index.cdxj"]


def test_prepare_collection_refuses_inconsistent_input(tmp_path: Path) -> None:
    archive_dir = tiny_archive(tmp_path)
    with pytest.raises(CollectionError, match="not found"):
        prepare_collection(tmp_path / "missing", tmp_path / "r0")
    with pytest.raises(CollectionError, match="invalid collection name"):
        prepare_collection(archive_dir, tmp_path / "r1", "live")
    foreign = tmp_path / "r2"
    foreign.mkdir()
    (foreign / "config.yaml").write_text("collections:\n  live: $live\n")
    with pytest.raises(CollectionError, match="refusing to overwrite"):
        prepare_collection(archive_dir, foreign)
    for warc in (archive_dir / "warc").glob("*.warc.gz"):
        warc.rename(warc.with_name("moved-" + warc.name))
    with pytest.raises(CollectionError, match="refers to"):
        prepare_collection(archive_dir, tmp_path / "r3")


def test_find_replay_venv_says_how_to_fix(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SZNEWS_REPLAY_VENV", str(tmp_path / "nope"))
    with pytest.raises(ReplayEnvError, match="make replay-env"):
        find_replay_venv()


def test_start_wayback_requires_prepared_root(tmp_path: Path) -> None:
    with pytest.raises(CollectionError, match="prepare_collection"):
        start_wayback(tmp_path)


def test_replay_url_forms() -> None:
    base = "http://127.0.0.1:8080/"
    page = f"{SITE}/sznews/index.shtml"
    assert replay_url(base, "sznews", "20240501083015", page) == (
        f"http://127.0.0.1:8080/sznews/20240501083015mp_/{page}")
    assert replay_url(base, "sznews", "2024-05-01T08:30:15.123456Z", page, "id_") == (
        f"http://127.0.0.1:8080/sznews/20240501083015id_/{page}")
    assert replay_url(base, "sznews", None, page, "") == f"http://127.0.0.1:8080/sznews/{page}"
    with pytest.raises(ValueError):
        replay_url(base, "sznews", None, page, "bogus")


def test_cli_replay_arguments(tmp_path: Path) -> None:
    from archive.__main__ import COMMANDS, build_parser
    from archive.replay import cli

    args = build_parser().parse_args(["replay", str(tmp_path), "--port", "0",
                                      "--collection", "x"])
    assert (args.command, args.archive_dir, args.port, args.collection) == (
        "replay", tmp_path, 0, "x")
    assert COMMANDS[args.command].run is cli.run
    assert COMMANDS["replay"].run(build_parser().parse_args(
        ["replay", str(tmp_path / "missing")])) == 2


def test_the_suggested_home_is_the_page_archived_first_whatever_the_site(tmp_path: Path) -> None:
    from archive.replay.cli import home_capture

    def line(url: str, stamp: str, mime: str = "text/html", status: str = "200") -> str:
        fields = {"url": url, "mime": mime, "status": status}
        return f"x {stamp} {json.dumps(fields)}\n"

    index = tmp_path / "index.cdxj"
    index.write_text(
        line("http://xcnews.zjol.com.cn/a.css", "20260101000000", mime="text/css")
        + line("http://xcnews.zjol.com.cn/xcnews/a.shtml", "20260101000009")
        + line("http://xcnews.zjol.com.cn/xcnews/index.shtml", "20260101000001")
        + line("http://xcnews.zjol.com.cn/xcnews/gone.shtml", "20260101000000", status="404"),
        "utf-8",
    )
    assert home_capture(index, None) == ("http://xcnews.zjol.com.cn/xcnews/index.shtml",
                                          "20260101000001")
    assert home_capture(index, "http://xcnews.zjol.com.cn/xcnews/a.shtml") == (
        "http://xcnews.zjol.com.cn/xcnews/a.shtml", "20260101000009")


def test_a_revisit_replays_as_its_original(
    replay_venv: Path, tmp_path: Path
) -> None:
    """A second run of an unchanged site without validators writes identical-payload
    revisits, and the items of the pages it fetched again point at them: pywb must replay
    each such pointer as the original's bytes, and rewrite it as a page."""
    from tests.crawling import run_crawl
    from tests.replica.testing import start_replica

    archive = tmp_path / "archive"
    with start_replica(articles=20, seed=2, no_validators=True) as replica:
        for _ in range(2):
            result = run_crawl(archive, proxy_url=replica.proxy_url)
            assert result.returncode == 0, result.output[-3000:]
    later = CrawlResult(archive, 0, "")
    assert len(later.run_ids) == 2
    originals = Originals(archive)
    revisits = []
    for kind in ("sections", "articles"):
        for item in later.items(kind):
            record = load_record(archive, item["warc"]) if item.get("warc") else None
            if record is not None and record.rec_type == "revisit":
                revisits.append((item, record))
    assert revisits, "the second run wrote no revisit an item points at"
    root = tmp_path / "replay-root"
    prepare_collection(archive, root, DEFAULT_COLLECTION)
    with start_wayback(root, venv=replay_venv) as wb:
        for item, record in revisits[:5]:
            stamp = wayback_timestamp(record.rec_headers.get_header("WARC-Date"))
            target = record.target_uri
            raw = fetch(replay_url(wb.url, DEFAULT_COLLECTION, stamp, target, "id_"),
                        accept_encoding="gzip, deflate")
            assert raw.status == 200, target
            assert _http_date_stamp(raw.header("Memento-Datetime")) == stamp, target
            assert raw.body == originals.payload_of(record), target
            page = fetch(replay_url(wb.url, DEFAULT_COLLECTION, stamp, target, "mp_"))
            text = decode_html(page.body, page.header("Content-Type"))
            assert page.status == 200 and "WB Insert" in text, target
            assert (item.get("title") or item.get("name")) in text, target
