"""Fault injection of the replica (`--fault SPEC`, tests/replica/faults.py): each mode, what
the request log records, determinism of the selection, and modes combined."""

from __future__ import annotations

import gzip
import http.client
import re
import socket
import time
import zlib
from collections.abc import Iterator
from urllib.parse import urlsplit

import lxml.html
import pytest

from tests.replica.expected import article_page_urls, expected_articles, gzipbomb_urls, large_urls
from tests.replica.faults import (
    CHARSET_VARIANTS,
    MALFORMED_INSERT,
    CharsetConflict,
    parse_spec,
    selected_paths,
)
from tests.replica.model import HOST_ROOT, Site, stable_hash
from tests.replica.server import ROBOTS, App
from tests.replica.testing import Replica, start_replica
from tests.test_replica import extract
from tests.waiting import wait_until

ARTICLE_RE = re.compile(r"^/sznews/system/\d{4}/\d\d/\d\d/\d{9}\.shtml$")


def get(port: int, path: str, headers: dict[str, str] | None = None,
        timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def raw_get(port: int, path: str, extra: str = "") -> tuple[bytes, bytes]:
    """(head, body) read with a raw socket until the server closes (Connection: close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n".encode())
        data = b""
        while chunk := s.recv(1 << 16):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body


def header(head: bytes, name: str) -> str | None:
    m = re.search(rb"(?im)^" + name.encode() + rb":\s*(.*?)\r?$", head)
    return m.group(1).decode() if m else None


def clean(site: Site, path: str, root: str) -> bytes:
    return App(site).route(path, "", root).body


def logged(r: Replica, path: str, count: int = 1) -> list[dict]:
    """The log lines of ``path``, once at least ``count`` of them are there."""
    return wait_until(lambda: (found := [x for x in r.requests() if x["path"] == path])
                      and len(found) >= count and found, what=f"{count} log lines of {path}")


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(1, 60)


@pytest.fixture(scope="module")
def plain() -> Iterator[Replica]:
    with start_replica() as r:
        yield r


def test_off_by_default(plain: Replica, site: Site) -> None:
    root = plain.url
    for path in [site.path(i) for i in range(0, 60, 3)] + ["/sznews/xwpd/jrsz/szjj/index.shtml"]:
        status, _, body = get(plain.port, path)
        assert status == 200 and body == clean(site, path, root)
    assert all(x["fault"] is None for x in plain.requests())
    assert plain.large_urls() == [] and plain.gzipbomb_urls() == []


def test_bad_spec_is_refused() -> None:
    site = Site(1, 60)
    for spec in ("nope=1", "status5xx=2", "status5xx=", "burst=5", "slow=0.1:-1", "large=x"):
        with pytest.raises(ValueError):
            parse_spec(spec, site)
    with pytest.raises(RuntimeError):
        start_replica(faults=["status5xx=abc"])


# ---- seeded selection ---------------------------------------------------------------------
def test_selection_is_seeded_and_proportional() -> None:
    a = selected_paths("status5xx=0.3", seed=1, articles=60)
    assert a == selected_paths("status5xx=0.3:5", seed=1, articles=60)  # K does not matter
    assert a != selected_paths("status5xx=0.3", seed=2, articles=60)
    assert a != selected_paths("truncate=0.3", seed=1, articles=60)  # modes are independent
    assert selected_paths("reset=0", seed=1) == []
    everything = parse_spec("reset=1", Site(1, 60)).candidates()
    assert selected_paths("reset=1", seed=1) == everything
    big = parse_spec("slow=0.2", Site(3, 2000))
    frac = len(big.selected_paths()) / len(big.candidates())
    assert 0.17 < frac < 0.23
    assert set(selected_paths("malformed=1")) == {
        urlsplit(u).path for u in article_page_urls(Site(1, 60))}


# ---- the modes ----------------------------------------------------------------------------
def test_status5xx_first_k_then_normal(site: Site) -> None:
    spec = "status5xx=0.3:2"
    chosen = set(selected_paths(spec))
    with start_replica(faults=[spec]) as r:
        codes = set()
        for path in parse_spec(spec, site).candidates():
            status, _, body = get(r.port, path)
            assert (status in (500, 502)) == (path in chosen), path
            if path in chosen:
                codes.add(status)
                assert f"{status}".encode() in body
                assert get(r.port, path)[0] == status  # the same code each time
                status, _, body = get(r.port, path)
                assert status == 200 and body == clean(site, path, r.url)
        assert codes == {500, 502}
        assert get(r.port, "/robots.txt")[2] == ROBOTS
        path = sorted(chosen)[0]
        assert [x["fault"] for x in logged(r, path)] == ["status5xx", "status5xx", None]


def test_retry503_with_retry_after(site: Site) -> None:
    with start_replica(faults=["retry503=1:2:7"]) as r:
        path = site.path(4)
        for _ in range(2):
            status, h, _ = get(r.port, path)
            assert status == 503 and h["Retry-After"] == "7"
        status, h, _ = get(r.port, path)
        assert status == 200 and "Retry-After" not in h
        assert get(r.port, "/robots.txt")[0] == 200
        assert get(r.port, "/sznews/css/style.css")[0] == 200
        assert [x["fault"] for x in logged(r, path)] == ["retry503", "retry503", None]


def test_truncate_closes_after_half(site: Site) -> None:
    with start_replica(faults=["truncate=1:1"]) as r:
        path = site.path(5)
        head, body = raw_get(r.port, path)
        length = int(header(head, "Content-Length"))
        assert head.startswith(b"HTTP/1.1 200") and len(body) == length // 2 < length
        head, body = raw_get(r.port, path)
        assert len(body) == int(header(head, "Content-Length"))
        # With gzip, the compressed body is cut (the replica gzips a seeded half of paths).
        zpath = next(site.path(i) for i in range(11, site.n)
                     if stable_hash(site.seed, "gzip", site.path(i)) % 2 == 0)
        head, body = raw_get(r.port, zpath, "Accept-Encoding: gzip\r\n")
        assert header(head, "Content-Encoding") == "gzip"
        assert len(body) == int(header(head, "Content-Length")) // 2
        with pytest.raises((EOFError, zlib.error)):
            gzip.decompress(body)
        # http.client notices the short body.
        other = site.path(6)
        conn = http.client.HTTPConnection("127.0.0.1", r.port, timeout=10)
        conn.request("GET", other)
        with pytest.raises(http.client.IncompleteRead):
            conn.getresponse().read()
        conn.close()
        log = logged(r, path)
        assert log[0]["fault"] == "truncate" and log[0]["bytes"] == length // 2
        assert log[1]["fault"] is None and log[1]["bytes"] == length


def test_slow_delays_headers(site: Site) -> None:
    with start_replica(faults=["slow=1:1:1.0"]) as r:
        path = site.path(8)
        t = time.monotonic()
        assert get(r.port, path)[0] == 200
        assert time.monotonic() - t >= 0.9
        assert get(r.port, path)[0] == 200
        with pytest.raises(TimeoutError):  # a client timeout below SECONDS fires
            get(r.port, site.path(9), timeout=0.3)
        assert [x["fault"] for x in logged(r, path, 2)] == ["slow", None]  # K=1: then normal


def test_reset_before_headers(site: Site) -> None:
    with start_replica(faults=["reset=1:1"]) as r:
        path = site.path(10)
        with pytest.raises(ConnectionError):  # RemoteDisconnected or ConnectionResetError
            get(r.port, path)
        with socket.create_connection(("127.0.0.1", r.port), timeout=10) as s:
            s.sendall(b"GET /sznews/xwpd/index.shtml HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                got = s.recv(1024)
            except ConnectionResetError:
                got = b""
            assert got == b""  # not one byte of a response
        assert get(r.port, path)[0] == 200
        assert get(r.port, "/robots.txt")[0] == 200
        first = logged(r, path)[0]
        assert first["fault"] == "reset" and first["status"] is None


def test_burst_window_then_faults_resume() -> None:
    site = Site(1, 60)
    with start_replica(faults=["burst=0:3", "status5xx=1:1"]) as r:
        for path in ("/sznews/index.shtml", site.path(1), "/no/such/page"):
            status, h, _ = get(r.port, path)
            assert status == 503 and "Retry-After" not in h
        # The burst ends on the server's clock: ask until it is over.
        wait_until(lambda: get(r.port, "/robots.txt")[0] == 200, interval=0.2,
                   what="the end of the burst")
        assert get(r.port, site.path(1))[0] in (500, 502)  # the burst used up no K
        assert get(r.port, site.path(1))[0] == 200
        assert [x["fault"] for x in logged(r, site.path(1))] == ["burst", "status5xx", None]


def _tolerant(port: int) -> callable:
    def fetch(url: str) -> bytes:
        _, _, body = get(port, urlsplit(url).path)
        return body.decode("gb18030", "replace").encode("gb18030")
    return fetch


def test_malformed_still_extracts(site: Site) -> None:
    with start_replica(faults=["malformed=0.5"]) as r:
        chosen = set(selected_paths("malformed=0.5"))
        fetch = _tolerant(r.port)
        checked = 0
        for want in expected_articles(site, r.url):
            path = urlsplit(want["url"]).path
            status, _, body = get(r.port, path, {"Accept-Encoding": "gzip"})
            assert status == 200
            raw = get(r.port, path)[2]
            if path not in chosen:
                assert raw == clean(site, path, r.url)
                continue
            checked += 1
            assert MALFORMED_INSERT in raw and not raw.rstrip().endswith(b"</html>")
            assert b"</body>" not in raw and raw.count(b"<table") > raw.count(b"</table>")
            with pytest.raises(UnicodeDecodeError):
                raw.decode("gb18030")
            assert extract(want["url"], fetch) == want
            # Even lxml fed the raw bytes (it stops at the bad byte) finds title and body.
            doc = lxml.html.document_fromstring(
                raw, parser=lxml.html.HTMLParser(encoding="gb18030"))
            assert doc.findtext(".//title") == want["title"] + "-嵊州新闻网"
            assert doc.cssselect("div#Zoom p, div.contTxt p, div.wznr p")
        assert checked >= 10
        assert logged(r, sorted(chosen)[0])[0]["fault"] == "malformed"


def test_charset_conflict_variants(site: Site) -> None:
    fault = parse_spec("charset_conflict=1", site)
    assert isinstance(fault, CharsetConflict)
    with start_replica(faults=["charset_conflict=1"]) as r:
        seen = set()
        for path in fault.candidates()[:80]:
            _, h, body = get(r.port, path)
            ctype, meta = CHARSET_VARIANTS[fault.variant(path)]
            assert h["Content-Type"] == ctype
            seen.add(ctype)
            text = body.decode("gb18030")  # always decodes
            declared = re.search(r'<meta http-equiv="Content-Type" content="text/html; '
                                 r'charset=(\w+)"', text).group(1)
            assert declared == ("gbk" if meta else "gb2312")
            want = clean(site, path, r.url).decode("gb18030")
            assert text.replace("charset=gbk", "charset=gb2312", 1) == want
        assert seen == {v[0] for v in CHARSET_VARIANTS}
        assert get(r.port, "/robots.txt")[1]["Content-Type"] == "text/plain"
        assert logged(r, site.path(0))[0]["fault"] == "charset_conflict"


def _listed_on(port: int, url: str, site: Site) -> list[str]:
    """List pages that link `url`."""
    out = []
    for sec in site.columns:
        for k in range(sec.list_pages):
            body = get(port, sec.list_page_path(k))[2]
            if url.encode() in body:
                out.append(sec.list_page_path(k))
    return out


def test_large_pages(site: Site) -> None:
    specs = ["large=1", "large=/sznews/system/2020/05/05/123456789.shtml:2"]
    urls = large_urls(specs, root=HOST_ROOT)
    assert len(urls) == 2 and urls[1].endswith("/2020/05/05/123456789.shtml")
    known = {a["url"] for a in expected_articles(site)}
    with start_replica(faults=specs) as r:
        assert r.large_urls(HOST_ROOT) == urls
        mine = r.large_urls()
        for url, size in zip(mine, (30 * 2**20, 2 * 2**20), strict=True):
            path = urlsplit(url).path
            assert ARTICLE_RE.match(path) and url.replace(r.url, HOST_ROOT) not in known
            conn = http.client.HTTPConnection("127.0.0.1", r.port, timeout=10)
            conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
            resp = conn.getresponse()
            assert resp.status == 200 and resp.getheader("Content-Encoding") is None
            length = int(resp.getheader("Content-Length"))
            assert size - 2**16 < length <= size
            total, first = 0, b""
            while chunk := resp.read(1 << 20):
                first = first or chunk
                total += len(chunk)
            conn.close()
            assert total == length
            assert b'class="contTit"' in first
            assert _listed_on(r.port, url, site)[0].endswith("/index.shtml")
        assert [x["fault"] for x in logged(r, urlsplit(mine[0]).path)] == ["large"]


def test_gzip_bomb(site: Site) -> None:
    limit = 200 * 10**6
    known = {a["url"] for a in expected_articles(site)}
    with start_replica(faults=["gzipbomb=2"]) as r:
        urls = r.gzipbomb_urls()
        assert len(urls) == 2 and urls == gzipbomb_urls("gzipbomb=2", root=r.url)
        for url in urls:
            path = urlsplit(url).path
            assert ARTICLE_RE.match(path) and url.replace(r.url, HOST_ROOT) not in known
            status, h, body = get(r.port, path, timeout=20)  # not even asking for gzip
            assert status == 200 and h["Content-Encoding"] == "gzip"
            assert len(body) == int(h["Content-Length"]) < 1_000_000
            if url == urls[0]:
                d, out, buf = zlib.decompressobj(31), 0, body
                while buf and out <= limit:  # stream with a cap: never holds more than 1 MiB
                    out += len(d.decompress(buf, 1 << 20))
                    buf = d.unconsumed_tail
                assert out > limit
                first = body
            else:
                assert body == first  # the same bomb for each URL
            assert len(_listed_on(r.port, url, site)) == 1
        assert logged(r, urlsplit(urls[0]).path)[0]["fault"] == "gzipbomb"


# ---- combined -----------------------------------------------------------------------------
def test_faults_combine_in_fixed_order(site: Site) -> None:
    specs = ["truncate=0.3", "retry503=0.3:1:3", "status5xx=0.3", "malformed=0.3",
             "charset_conflict=0.3", "large=1:1", "gzipbomb=1"]
    sel = {m: set(selected_paths(s)) for m, s in
           (("5xx", specs[2]), ("503", specs[1]), ("trunc", specs[0]), ("mal", specs[3]),
            ("cs", specs[4]))}
    paths = [urlsplit(u).path for u in article_page_urls(site)]
    # Every combination of interest exists with this seed.
    assert sel["5xx"] & sel["503"] and sel["503"] & sel["trunc"] and sel["mal"] & sel["trunc"]
    with start_replica(faults=specs) as r:
        for path in paths:
            order = []
            if path in sel["5xx"]:
                order.append("5xx")
            if path in sel["503"]:
                order.append("503")
            for step in order:  # terminal faults first, one request each, in stage order
                status, h, _ = get(r.port, path)
                assert status in ((500, 502) if step == "5xx" else (503,)), (path, step)
                assert (h.get("Retry-After") == "3") == (step == "503")
            head, body = raw_get(r.port, path)
            length = int(header(head, "Content-Length"))
            assert head.startswith(b"HTTP/1.1 200")
            assert (len(body) < length) == (path in sel["trunc"]), path
            cs = header(head, "Content-Type") in ("text/html; charset=gbk",
                                                  "text/html; charset=gb18030")
            assert cs <= (path in sel["cs"])
            head2, body2 = raw_get(r.port, path)
            assert len(body2) == int(header(head2, "Content-Length"))  # all K used up
            assert (MALFORMED_INSERT in body2) == (path in sel["mal"])
            assert body2[: len(body)] == body  # the cut response was the same page
        # Every response above was logged before it was sent.
        log = {}
        for x in r.requests():
            log.setdefault(x["path"], []).append(x["fault"])
        both = sorted(sel["mal"] & sel["trunc"] - sel["5xx"] - sel["503"] - sel["cs"])[0]
        assert log[both] == ["malformed+truncate", "malformed"]
        both = sorted(sel["5xx"] & sel["503"])[0]
        assert log[both][:2] == ["status5xx", "retry503"]
        assert get(r.port, urlsplit(r.large_urls()[0]).path)[0] == 200
        assert get(r.port, urlsplit(r.gzipbomb_urls()[0]).path)[1]["Content-Encoding"] == "gzip"
