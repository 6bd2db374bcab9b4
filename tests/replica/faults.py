"""Injected faults: `--fault SPEC` (repeatable) / `start_replica(faults=(...))`. Off by default.

Every mode is deterministic given the site seed: which URLs a mode hits is
`stable_hash(seed, "fault", MODE, path)` below RATE (see `SeededFault.selects`), and the first K
requests of a selected path (counted per path, per mode) are faulted, then it answers normally.

Seeded modes and the pages they may select (by URL path, canonical forms and aliases alike):
  status5xx=RATE[:K]          article + section/list pages: 500 or 502 (seeded per path), K=1
  retry503=RATE[:K[:SECONDS]] article + section/list pages: 503 + `Retry-After: SECONDS` (2)
  truncate=RATE[:K]           article + section/list pages: full Content-Length announced, the
                              connection closed after half the (possibly gzipped) body
  slow=RATE[:K[:SECONDS]]     article + section/list pages: headers only after SECONDS (5)
  reset=RATE[:K]              article + section/list pages: TCP RST before any response byte
  malformed=RATE              article pages, every request: broken markup, see `malform`
  charset_conflict=RATE       article + section/list pages + home, every request: see
                              `CharsetConflict`
Page faults (tests/replica/pagefaults.py): challenge=RATE[:KIND], restyle=GENERATION.
Unseeded modes:
  burst=START:DURATION        every URL (robots.txt, images, ...) answers 503 without
                              Retry-After from START to START+DURATION s after the first request
  large=COUNT[:MB] | large=PATH[,PATH][:MB]
                              extra article-like pages (`/sznews/system/Y/M/D/098NNNNNN.shtml`
                              unless PATHs are given) of MB MiB (30), uncompressed, linked from
                              the first list page of a seeded column; not articles of the site
                              (a crawler must drop them: DOWNLOAD_MAXSIZE); URLs: `large_urls()`
  gzipbomb=COUNT              article-like URLs (`.../099NNNNNN.shtml`) linked like `large`,
                              not articles of the site, always (asked or not) answered
                              `Content-Encoding: gzip` with ~260 KB that inflate to 256 MiB
                              (HTML head, then NUL bytes); URLs: `gzipbomb_urls()`

Faults combine. They run in a fixed order whatever the order of the flags: first the content
faults (large, gzipbomb, malformed, charset_conflict: they change the page and pass it on), then
burst, the `--maintenance` modes, reset, status5xx, retry503 (each of these answers instead of
the page and ends the chain), then slow and truncate (they change how the page is delivered).
A mode only counts requests that reach it, so a path selected by both `reset=..:1` and
`status5xx=..:1` is reset once, then answers 500/502 once, then is normal; requests answered
during a burst use up no path's K. Every faulted response names the modes that shaped it in
the request log's `fault` field (`"status5xx"`, `"malformed+truncate"`, ...; `"maintenance"`
for the `--maintenance` modes; null if none; a reset is logged with `status` null).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import struct
import threading
import time
import zlib

from .model import HOST_ROOT, ORGS, PARAGRAPHS, Section, Site, stable_hash
from .pagefaults import parse_page_fault
from .render import Renderer, e_
from .server import RETRY_AFTER, SERVER_NAME, Fault, Request, Response

SEEDED_KINDS = ("article", "section")
LARGE_MB = 30
BOMB_SIZE = 256 * 2**20
_LARGE_BASE, _BOMB_BASE = 98_000_000, 99_000_000


def error_page(status: int, reason: str) -> bytes:
    """A bare server error page in the style of the site's 404."""
    return (f"<html><head><title>{status} {reason}</title></head><body><h1>{status} {reason}"
            f"</h1><hr /><address>{SERVER_NAME}</address></body></html>").encode("ascii")


def _mark(resp: Response, name: str, **changes: object) -> Response:
    return dataclasses.replace(resp, faults=[*resp.faults, name], **changes)


class SeededFault(Fault):
    """A mode that hits a seeded fraction RATE of paths of some kinds, first K requests each."""

    name = "seeded"
    kinds: tuple[str, ...] = SEEDED_KINDS

    def __init__(self, site: Site, rate: float, k: int | None = 1) -> None:
        if not 0 <= rate <= 1:
            raise ValueError(f"{self.name}: RATE must be in [0, 1], got {rate}")
        if k is not None and k < 0:
            raise ValueError(f"{self.name}: K must be >= 0, got {k}")
        self.site, self.rate, self.k = site, rate, k
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()

    def selects(self, path: str) -> bool:
        """Whether this mode hits `path` (before counting requests)."""
        h = stable_hash(self.site.seed, "fault", self.name, path) % 1_000_000
        return h < self.rate * 1_000_000

    def candidates(self) -> list[str]:
        """Canonical paths of the kinds this mode may select (for tests and helpers)."""
        s = self.site
        out: list[str] = []
        if "home" in self.kinds:
            out += [f"{s.prefix}index.shtml"]
        if "article" in self.kinds:
            out += [s.path(i, n) for i in range(s.n) for n in range(1, s.npages[i] + 1)]
        if "section" in self.kinds:
            for sec in s.sections.values():
                out += [sec.list_page_path(k) for k in range(sec.list_pages)]
        return out

    def selected_paths(self) -> list[str]:
        return [p for p in self.candidates() if self.selects(p)]

    def _due(self, req: Request, resp: Response) -> bool:
        """Selected, of the right kind, and among the first K requests of this path."""
        if resp.kind not in self.kinds or not self.selects(req.path):
            return False
        if self.k is None:
            return True
        with self.lock:
            n = self.counts.get(req.path, 0)
            self.counts[req.path] = n + 1
        return n < self.k

    def intercept(self, req: Request, resp: Response) -> Response | None:
        return self.apply(req, resp) if self._due(req, resp) else None

    def apply(self, req: Request, resp: Response) -> Response:
        raise NotImplementedError


class Status5xx(SeededFault):
    name, stage = "status5xx", 40

    def apply(self, req: Request, resp: Response) -> Response:
        if stable_hash(self.site.seed, "fault-5xx-code", req.path) % 2:
            return Response(502, error_page(502, "Bad Gateway"), faults=[self.name])
        return Response(500, error_page(500, "Internal Server Error"), faults=[self.name])


class Retry503(SeededFault):
    name, stage = "retry503", 50

    def __init__(self, site: Site, rate: float, k: int = 1, seconds: int = RETRY_AFTER) -> None:
        super().__init__(site, rate, k)
        self.seconds = seconds

    def apply(self, req: Request, resp: Response) -> Response:
        return Response(503, error_page(503, "Service Temporarily Unavailable"),
                        headers={"Retry-After": str(self.seconds)}, faults=[self.name])


class Reset(SeededFault):
    name, stage = "reset", 30

    def apply(self, req: Request, resp: Response) -> Response:
        return _mark(resp, self.name, reset=True)


class Slow(SeededFault):
    name, stage, terminal = "slow", 60, False

    def __init__(self, site: Site, rate: float, k: int = 1, seconds: float = 5.0) -> None:
        super().__init__(site, rate, k)
        self.seconds = seconds

    def apply(self, req: Request, resp: Response) -> Response:
        return _mark(resp, self.name, delay=resp.delay + self.seconds)


class Truncate(SeededFault):
    name, stage, terminal = "truncate", 70, False

    def apply(self, req: Request, resp: Response) -> Response:
        return _mark(resp, self.name, truncate_ratio=0.5)


# The exact damage `malformed` does, at the end of the page (after title, meta, body, editor and
# related links, so a recovering parser -- even lxml fed the raw bytes, which stops at the first
# undecodable byte -- still sees all of those):
#   1. the sidebar's last box `<div class="sidebox shzx">` loses its closing `</div>`;
#   2. a comment `<!-- \x80\xff -->` (bytes invalid in GBK and GB18030) and a stray `\xff`
#      byte between tags are inserted after the sidebar;
#   3. the page ends without closing the main layout table, the footer table, body and html
#      (`</td></tr></table>` twice and `</body></html>` are missing).
MALFORMED_INSERT = b"<!-- \x80\xff -->\xff"
_SIDE_END = b"</ul></div>"
_FOOT_OPEN, _FOOT_TEXT_END = b"</td></tr></table>\n", b"</td></tr></table>\n</body></html>\n"


def malform(body: bytes) -> bytes:
    """Apply the `malformed` damage to a rendered page (which ends with sidebar + footer)."""
    cut = body.rfind(_SIDE_END)
    foot = body[cut + len(_SIDE_END):]
    assert cut >= 0 and foot.startswith(_FOOT_OPEN) and foot.endswith(_FOOT_TEXT_END) and (
        b"class=\"footer\"" in foot), "not a full page"
    head = body[: cut + len(b"</ul>")]
    footer = foot[len(_FOOT_OPEN): -len(_FOOT_TEXT_END)]
    return head + MALFORMED_INSERT + footer + b"\n"


class Malformed(SeededFault):
    name, stage, terminal, kinds = "malformed", 2, False, ("article",)

    def __init__(self, site: Site, rate: float) -> None:
        super().__init__(site, rate, None)

    def apply(self, req: Request, resp: Response) -> Response:
        if resp.status != 200:
            return resp
        return _mark(resp, self.name, body=malform(resp.body))


# Realistic charset conflicts (bytes are always GBK, readable as GB18030):
CHARSET_VARIANTS = (
    ("text/html; charset=gbk", None),  # HTTP says gbk, meta says gb2312
    ("text/html; charset=gb18030", None),  # HTTP says gb18030, meta says gb2312
    ("text/html", b"gbk"),  # HTTP has no charset, meta says gbk
)
_META = b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />'


class CharsetConflict(SeededFault):
    """Selected pages get variant `stable_hash(seed, "fault-charset", path) % 3` of
    `CHARSET_VARIANTS`: the HTTP header and the meta disagree, but compatibly."""

    name, stage, terminal = "charset_conflict", 3, False
    kinds = ("article", "section", "home")

    def __init__(self, site: Site, rate: float) -> None:
        super().__init__(site, rate, None)

    def variant(self, path: str) -> int:
        return stable_hash(self.site.seed, "fault-charset", path) % len(CHARSET_VARIANTS)

    def apply(self, req: Request, resp: Response) -> Response:
        if resp.status != 200:
            return resp
        ctype, meta = CHARSET_VARIANTS[self.variant(req.path)]
        body = resp.body
        if meta is not None:
            body = body.replace(_META, _META.replace(b"gb2312", meta), 1)
        return _mark(resp, self.name, body=body, content_type=ctype, exact_type=True)


class Burst(Fault):
    """Every URL answers 503 (no Retry-After) from START to START+DURATION s after the first
    request: counted from the server's start, a crawl slow to start on a busy machine could
    miss the whole burst."""

    name, stage = "burst", 10

    def __init__(self, start: float, duration: float) -> None:
        self.start, self.end = start, start + duration
        self.t0: float | None = None
        self._lock = threading.Lock()

    def intercept(self, req: Request, resp: Response) -> Response | None:
        with self._lock:
            if self.t0 is None:
                self.t0 = time.monotonic()
        if self.start <= time.monotonic() - self.t0 < self.end:
            return Response(503, error_page(503, "Service Temporarily Unavailable"),
                            faults=[self.name])
        return None


# ---- extra pages: large and gzip bomb ---------------------------------------------------------
@dataclasses.dataclass
class ExtraPage:
    path: str
    title: str
    column: Section
    day: dt.date


def _extra_pages(site: Site, mode: str, base: int, count: int,
                 paths: list[str] | None = None) -> list[ExtraPage]:
    """Article-like pages outside the site: 9-digit ids from `base` that no article uses, dated
    the day of the newest base article (growth does not move them) of the seeded column whose
    first list page links them."""
    out: list[ExtraPage] = []
    for k in range(len(paths) if paths else count):
        h = stable_hash(site.seed, "fault", mode, k)
        col = site.columns[h % len(site.columns)]
        arts = [i for i in col.articles if i < site.base_n]
        when = site.date(arts[-1]) if arts else dt.datetime(2024, 12, 30)
        if paths:
            path = paths[k]
        else:
            num = base + 1000 * k + h % 1000
            while f"{num:09d}" in site.by_id:
                num += 1
            path = f"{site.prefix}system/{when:%Y/%m/%d}/{num:09d}.shtml"
        title = f"{ORGS[h % len(ORGS)]}资料汇编（{k + 1}）"
        out.append(ExtraPage(path, title, col, when.date()))
    return out


class ExtraPages(Fault):
    """Serves extra pages and links them from their column's first list page."""

    name, stage, terminal = "extra", 0, False

    def __init__(self, site: Site, pages: list[ExtraPage]) -> None:
        self.site, self.pages = site, pages
        self.by_path = {p.path: p for p in pages}

    def intercept(self, req: Request, resp: Response) -> Response | None:
        page = self.by_path.get(req.path)
        if page is not None:
            return self.serve(req, page)
        found = self.site.find_section(req.path) if resp.kind == "section" else None
        links = [p for p in self.pages if found and found[0] is p.column and found[1] == 0]
        if not links or resp.status != 200:
            return None
        items = "".join(
            f'<li><span class="date">{p.day:%Y-%m-%d}</span><a href="{req.root}{p.path}"'
            f' target="_blank">{e_(p.title)}</a></li>' for p in links)
        marker = b'<ul class="listUl">'
        body = resp.body.replace(marker, marker + items.encode("gbk"), 1)
        return _mark(resp, self.name, body=body)

    def serve(self, req: Request, page: ExtraPage) -> Response:
        raise NotImplementedError


_FILL = "".join(f"<p>\u3000\u3000{p}</p>\n" for p in PARAGRAPHS).encode("gbk")
_fill_cache: dict[int, bytes] = {}
_fill_lock = threading.Lock()


def _filler(size: int) -> bytes:
    with _fill_lock:
        if size not in _fill_cache:
            _fill_cache[size] = (_FILL * (size // len(_FILL) + 1))[:size - size % len(_FILL)]
        return _fill_cache[size]


class LargePages(ExtraPages):
    """`large=...`: div-template article pages whose body is MB megabytes of paragraphs."""

    name = "large"

    def __init__(self, site: Site, pages: list[ExtraPage], mb: float = LARGE_MB) -> None:
        super().__init__(site, pages)
        self.size = int(mb * 2**20)
        self.render = Renderer(site)

    def serve(self, req: Request, page: ExtraPage) -> Response:
        marker = "@@FILL@@"
        main = (f'<div class="contTit"><font>{e_(page.title)}</font></div><div class="time">'
                f'<span id="pubtime_baidu">{page.day:%Y年%m月%d日}08:00:00</span> '
                f'<span id="source_baidu">来源:{self.site.variant.site_name}</span> '
                f'<span id="author_baidu">作者:</span></div>'
                f'<div class="contTxt">\n{marker}</div>')
        title = f"{page.title}-{self.site.variant.site_name}"
        shell = self.render._page(req.root, title, False, "", main)
        head, _, tail = shell.partition(marker.encode())
        fill = _filler(max(0, self.size - len(head) - len(tail)))
        return Response(200, head + fill + tail, kind=self.name, compress=False,
                        faults=[self.name])


_BOMB_PREFIX = (b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"'
                b" /><title>gzip</title></head><body>")
_bomb: list[bytes] = []
_bomb_lock = threading.Lock()


def gzip_bomb() -> bytes:
    """gzip of the HTML prefix plus NUL bytes up to BOMB_SIZE (~260 KB); cached per process.

    Streaming with full flushes: after `Z_FULL_FLUSH` the compressor forgets its history, so
    every further 1 MiB of zeros compresses to the same byte-aligned segment; it is computed
    once and repeated, and the gzip trailer (CRC-32, size) is computed chunk by chunk. Memory
    stays at the compressed size; building takes ~0.2 s instead of compressing 256 MiB."""
    with _bomb_lock:
        if _bomb:
            return _bomb[0]
        chunk = bytes(2**20)
        n, rest = divmod(BOMB_SIZE - len(_BOMB_PREFIX), len(chunk))
        c = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate; gzip framing by hand
        out = [b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff",
               c.compress(_BOMB_PREFIX) + c.flush(zlib.Z_FULL_FLUSH)]
        seg = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
        again = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
        assert seg == again and n >= 2, "zlib segments are not reproducible"
        out += [seg] * n
        out.append(c.compress(chunk[:rest]) + c.flush())
        crc = zlib.crc32(_BOMB_PREFIX)
        for _ in range(n):
            crc = zlib.crc32(chunk, crc)
        crc = zlib.crc32(chunk[:rest], crc)
        out.append(struct.pack("<II", crc, BOMB_SIZE % 2**32))
        _bomb.append(b"".join(out))
        return _bomb[0]


class GzipBomb(ExtraPages):
    name, stage = "gzipbomb", 1

    def __init__(self, site: Site, pages: list[ExtraPage]) -> None:
        super().__init__(site, pages)
        threading.Thread(target=gzip_bomb, daemon=True).start()  # warm the cache

    def serve(self, req: Request, page: ExtraPage) -> Response:
        return Response(200, gzip_bomb(), headers={"Content-Encoding": "gzip"}, kind=self.name,
                        compress=False, faults=[self.name])


# ---- parsing and helpers ----------------------------------------------------------------------
def _nums(mode: str, arg: str, n_max: int) -> list[str]:
    parts = arg.split(":") if arg else []
    if not 1 <= len(parts) <= n_max or not all(parts):
        raise ValueError(f"bad --fault {mode}={arg!r}")
    return parts


def _large_args(arg: str) -> tuple[int, list[str] | None, float]:
    """`COUNT[:MB]` or `PATH[,PATH][:MB]` -> (count, paths or None, MB)."""
    spec, mb = arg, float(LARGE_MB)
    head, sep, tail = arg.rpartition(":")
    if sep and tail.replace(".", "", 1).isdigit():
        spec, mb = head, float(tail)
    if spec.isdigit():
        return int(spec), None, mb
    paths = [p for p in spec.split(",") if p]
    if not paths or not all(p.startswith("/") for p in paths):
        raise ValueError(f"bad --fault large={arg!r}: COUNT[:MB] or PATH[,PATH][:MB]")
    return len(paths), paths, mb


def parse_spec(spec: str, site: Site) -> Fault:
    """Build one fault from a `--fault` SPEC (see the module docstring); ValueError if bad."""
    mode, _, arg = spec.partition("=")
    try:
        page_fault = parse_page_fault(mode, arg, site)  # challenge=, restyle= (pagefaults.py)
        if page_fault is not None:
            return page_fault
        if mode in ("status5xx", "truncate", "reset"):
            p = _nums(mode, arg, 2)
            cls = {"status5xx": Status5xx, "truncate": Truncate, "reset": Reset}[mode]
            return cls(site, float(p[0]), int(p[1]) if len(p) > 1 else 1)
        if mode in ("retry503", "slow"):
            p = _nums(mode, arg, 3)
            k = int(p[1]) if len(p) > 1 else 1
            if mode == "retry503":
                return Retry503(site, float(p[0]), k, int(p[2]) if len(p) > 2 else RETRY_AFTER)
            return Slow(site, float(p[0]), k, float(p[2]) if len(p) > 2 else 5.0)
        if mode in ("malformed", "charset_conflict"):
            rate = float(_nums(mode, arg, 1)[0])
            return (Malformed if mode == "malformed" else CharsetConflict)(site, rate)
        if mode == "burst":
            p = _nums(mode, arg, 2)
            if len(p) != 2:
                raise ValueError("START:DURATION")
            return Burst(float(p[0]), float(p[1]))
        if mode == "large":
            count, paths, mb = _large_args(arg)
            return LargePages(site, _extra_pages(site, mode, _LARGE_BASE, count, paths), mb)
        if mode == "gzipbomb":
            return GzipBomb(site, _extra_pages(site, mode, _BOMB_BASE, int(arg)))
    except ValueError as exc:
        raise ValueError(f"bad --fault {spec!r}: {exc}") from None
    raise ValueError(f"unknown --fault mode: {spec!r}")


def _extra_urls(mode: str, specs: list[str] | tuple[str, ...] | str, seed: int, articles: int,
                root: str, grow: int = 0) -> list[str]:
    if isinstance(specs, str):
        specs = [specs]
    site = Site(seed, articles, grow)
    out: list[str] = []
    for spec in specs:
        if spec.partition("=")[0] == mode:
            fault = parse_spec(spec, site)
            assert isinstance(fault, ExtraPages)
            out += [root + p.path for p in fault.pages]
    return out


def large_urls(faults: list[str] | tuple[str, ...] | str, *, seed: int = 1, articles: int = 60,
               root: str = HOST_ROOT, grow: int = 0) -> list[str]:
    """URLs of the `large=` pages among these fault specs (not articles: a crawl drops them)."""
    return _extra_urls("large", faults, seed, articles, root, grow)


def gzipbomb_urls(faults: list[str] | tuple[str, ...] | str, *, seed: int = 1,
                  articles: int = 60, root: str = HOST_ROOT, grow: int = 0) -> list[str]:
    """URLs of the `gzipbomb=` pages among these fault specs (not articles: a crawl drops them)."""
    return _extra_urls("gzipbomb", faults, seed, articles, root, grow)


def selected_paths(spec: str, *, seed: int = 1, articles: int = 60,
                   grow: int = 0) -> list[str]:
    """Canonical paths a seeded mode hits (article pages, section and list pages, home)."""
    fault = parse_spec(spec, Site(seed, articles, grow))
    if not isinstance(fault, SeededFault):
        raise ValueError(f"{spec!r} is not a seeded mode")
    return fault.selected_paths()
