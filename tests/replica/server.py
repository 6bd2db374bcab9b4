"""HTTP/1.1 server for the replica: origin for any Host, and plain forward proxy for the real host
(the site variant's: http://sznews.zjol.com.cn by default).

Request handling is a pipeline so faults can be added as switchable modes:
  1. `App.route()` maps (path, query, root) to a clean `Response` (pure, deterministic);
  2. each `Fault` in `Server.faults` may replace it, in `Fault.stage` order: the maintenance modes
     here, the injected faults of `faults.py` (`--fault`); a `terminal` fault's response is
     final, others (content changes, delays, truncation) pass theirs on to the next;
  3. the server's fixed `latency` (`--latency SECONDS`, default 0) is added to the response's
     `delay`, on every response (faulted or not; robots.txt, images and off-site 502s too);
  4. validators (ETag, Last-Modified; none under `no_validators`), conditional requests (304)
     and gzip are applied, the request is logged (with the `fault`
     modes that shaped the response), the response is written.

Every connection has its own handler thread (ThreadingHTTPServer), so delays overlap: N
concurrent requests with latency L take about L, not N x L.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import gzip
import hashlib
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .model import Site, stable_hash
from .render import (
    COMMON_JS,
    WZ2019_JS,
    Renderer,
    gif_bytes,
    jpeg_bytes,
    photo_bytes,
    style_css,
    wz2019_css,
)

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
ROBOTS = (SAMPLES / "sznews.zjol.com.cn" / "robots.txt").read_bytes()
MAINTENANCE = (SAMPLES / "maintenance.shtml").read_bytes()
NOT_FOUND = (SAMPLES / "404.shtml").read_bytes()
SERVER_NAME = "ZJOL/1.22.95"
# Last-Modified of everything that is not an article (articles use their publish time).
SITE_MTIME = dt.datetime(2024, 12, 31, 16, 0, 0, tzinfo=dt.UTC)
RETRY_AFTER = 2


@dataclass
class Response:
    """A response before conditional/gzip handling. `kind` says what the page is, for faults."""

    status: int
    body: bytes = b""
    content_type: str = "text/html"
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = "other"  # article, section, home, static, robots, calendar, other
    mtime: dt.datetime = SITE_MTIME
    maintenance: bool = False
    # Fault hooks, honoured by the writer.
    delay: float = 0.0  # seconds before the status line
    truncate_to: int | None = None  # send only this many body bytes, then close
    truncate_ratio: float | None = None  # send only this fraction of the body, then close
    reset: bool = False  # RST the connection before any response byte
    compress: bool = True  # may be gzipped when asked (off for pre-encoded and huge bodies)
    exact_type: bool = False  # send content_type as is (no seeded `; charset=gb2312`)
    faults: list[str] = field(default_factory=list)  # fault modes that shaped it, for the log


@dataclass
class Request:
    """What faults and routing see of a request."""

    method: str
    path: str
    query: str
    root: str
    headers: dict[str, str]
    via_proxy: bool


def maintenance_response(path: str, seed: int) -> Response:
    """The maintenance page, 200 or 503 (with Retry-After) depending on the URL."""
    if stable_hash(seed, "maint-status", path) % 2:
        return Response(503, MAINTENANCE, headers={"Retry-After": str(RETRY_AFTER)},
                        kind="maintenance", maintenance=True, faults=["maintenance"])
    return Response(200, MAINTENANCE, kind="maintenance", maintenance=True,
                    faults=["maintenance"])


class Fault:
    """A switchable mode that may replace a response.

    Faults run in ascending `stage`; when a `terminal` fault answers, later ones are skipped.
    """

    stage: int = 20
    terminal: bool = True

    def intercept(self, req: Request, resp: Response) -> Response | None:
        raise NotImplementedError


class MaintenanceFlap(Fault):
    """A seeded ~10% of article/section URLs answer maintenance for their first K requests."""

    def __init__(self, site: Site, k: int) -> None:
        self.site, self.k = site, k
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()

    def intercept(self, req: Request, resp: Response) -> Response | None:
        if resp.kind not in ("article", "section") or not self.site.flap_selected(req.path):
            return None
        with self.lock:
            n = self.counts.get(req.path, 0)
            self.counts[req.path] = n + 1
        return maintenance_response(req.path, self.site.seed) if n < self.k else None


class MaintenanceStuck(Fault):
    """These paths always answer maintenance."""

    def __init__(self, site: Site, paths: list[str]) -> None:
        self.site, self.paths = site, set(paths)

    def intercept(self, req: Request, resp: Response) -> Response | None:
        if req.path in self.paths:
            return maintenance_response(req.path, self.site.seed)
        return None


class MaintenanceWindow(Fault):
    """Every URL answers maintenance from START to START+DURATION seconds after the first
    request (not the server's start: a crawl slow to start must still meet the window)."""

    def __init__(self, site: Site, start: float, duration: float) -> None:
        self.site, self.start, self.end = site, start, start + duration
        self.t0: float | None = None
        self._lock = threading.Lock()

    def intercept(self, req: Request, resp: Response) -> Response | None:
        with self._lock:
            if self.t0 is None:
                self.t0 = time.monotonic()
        if self.start <= time.monotonic() - self.t0 < self.end:
            return maintenance_response(req.path, self.site.seed)
        return None


def parse_fault(spec: str, site: Site) -> Fault:
    """Parse `flap=K`, `stuck=PATH[,PATH]` or `window=START:DURATION`."""
    mode, _, arg = spec.partition("=")
    if mode == "flap":
        return MaintenanceFlap(site, int(arg))
    if mode == "stuck":
        return MaintenanceStuck(site, [p for p in arg.split(",") if p])
    if mode == "window":
        start, _, dur = arg.partition(":")
        return MaintenanceWindow(site, float(start), float(dur))
    raise ValueError(f"unknown maintenance mode: {spec!r}")


class App:
    """Routing: URL path to clean response. No state, so same input gives the same bytes."""

    def __init__(self, site: Site, *, live_picbox: bool = False,
                 no_validators: bool = False) -> None:
        """`live_picbox`: see Renderer; `no_validators`: the server sends no ETag and no
        Last-Modified and never answers 304 (a site a crawler can only revisit by content)."""
        self.site = site
        self.render = Renderer(site, live_picbox)
        d = self.prefix = site.prefix  # the site's directory: /sznews/
        # robots.txt disallows the site's own search directory.
        self.robots = ROBOTS.replace(b"/sznews/", d.encode("ascii"))
        self.style_css, self.wz2019_css = style_css(d), wz2019_css(d)
        self.live_picbox, self.no_validators = live_picbox, no_validators
        self.photo_kb: tuple[int, int] | None = None  # None: the 1x1 JPEGs (ReplicaServer)
        # Hub pages (home, sections, calendars) change when the site grows: their Last-Modified
        # is never older than the newest article or late filing (SITE_MTIME for the base site).
        newest = dt.datetime.fromtimestamp(site.hub_ts, dt.UTC)
        self.hub_mtime = max(SITE_MTIME, newest)
        # With a live picture box every page with the sidebar changed when the box last did.
        shown = [site.appeared_ts(i) for i, _ in self.render.picnews()]
        self.picbox_mtime = dt.datetime.fromtimestamp(max(shown, default=0), dt.UTC)

    def route(self, path: str, query: str, root: str) -> Response:
        resp = self._route(path, query, root)
        if (self.live_picbox and resp.status == 200 and resp.content_type == "text/html"
                and resp.kind != "robots"):
            resp.mtime = max(resp.mtime, self.picbox_mtime)
        return resp

    def _route(self, path: str, query: str, root: str) -> Response:
        s, r, d = self.site, self.render, self.prefix
        if path == "/":
            return Response(302, b"", headers={"Location": root + d + "index.shtml"})
        if path == "/robots.txt":
            return Response(200, self.robots, "text/plain", kind="robots", mtime=SITE_MTIME)
        if path in (d, d + "index.shtml"):
            return Response(200, r.home(root), kind="home", mtime=self.hub_mtime)
        if path.startswith(d + "system/"):
            found = s.find_article(path)
            if found:
                a = s.article(found[0])
                return Response(200, r.article(root, a, found[1]), kind="article",
                                mtime=a.page_mtime(found[1]))
        img = s.image_article(path) if path.startswith("/pic/") else None
        if img is not None:  # a new article's image is no older than the article
            mtime = max(SITE_MTIME, dt.datetime.fromtimestamp(s.appeared_ts(img), dt.UTC))
            body = jpeg_bytes(path) if self.photo_kb is None else photo_bytes(path, *self.photo_kb)
            return Response(200, body, "image/jpeg", kind="static", mtime=mtime)
        static = self._static(path)
        if static is not None:
            return static
        if path == d + "search/search.php":
            return Response(200, r.search(root), kind="other", mtime=SITE_MTIME)
        found_sec = s.find_section(path)
        if found_sec:
            sec, k = found_sec
            return Response(200, r.section(root, sec, k), kind="section",
                            mtime=self.hub_mtime)
        if path.endswith("/calendar.shtml"):
            sec = s.sections.get(path[len(d): -len("/calendar.shtml")])
            date = parse_qs(query).get("date", [""])[0]
            if sec is not None and sec.calendar:
                try:
                    day = dt.date.fromisoformat(date)
                except ValueError:
                    day = None
                if day is not None:
                    return Response(200, r.calendar(root, sec, day), kind="calendar",
                                    mtime=self.hub_mtime)
        if path.startswith(d) and path[len(d):] in s.sections:
            return Response(301, b"", headers={"Location": root + path + "/"})
        if path == d.rstrip("/"):
            return Response(301, b"", headers={"Location": root + d})
        return Response(404, NOT_FOUND)

    def _static(self, path: str) -> Response | None:
        d = self.prefix
        if path == d + "css/style.css":
            return Response(200, self.style_css, "text/css", kind="static", mtime=SITE_MTIME)
        if path == d + "js/common.js":
            return Response(200, COMMON_JS, "application/javascript", kind="static",
                            mtime=SITE_MTIME)
        if path == d + "css/wz2019.css":
            return Response(200, self.wz2019_css, "text/css", kind="static", mtime=SITE_MTIME)
        if path == d + "js/wz2019.js":
            return Response(200, WZ2019_JS, "application/javascript", kind="static",
                            mtime=SITE_MTIME)
        names = {"logo.gif", "nopic.gif", "bg.gif", "line.gif"}
        names |= {f"zt_{k}.gif" for k in range(len(self.site.by_key["szzt"].children))}
        if path.startswith(d + "images/") and path[len(d + "images/"):] in names:
            return Response(200, gif_bytes(path), "image/gif", kind="static", mtime=SITE_MTIME)
        return None


class RequestLog:
    """JSON-lines request log, one flushed line per request, safe across threads."""

    def __init__(self, path: str | None) -> None:
        self.lock = threading.Lock()
        self.fh = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115

    def write(self, record: dict) -> None:
        if self.fh is None:
            return
        line = json.dumps(record, ensure_ascii=False)
        with self.lock:
            self.fh.write(line + "\n")
            self.fh.flush()


class ReplicaServer(ThreadingHTTPServer):
    """Holds the app, faults and log shared by handler threads."""

    daemon_threads = True
    allow_reuse_address = True
    # listen() backlog. socketserver's default of 5 drops the SYNs of a burst of new
    # connections (a crawler opening 16 at once) and the client retries after 1 s.
    request_queue_size = 128

    def __init__(self, addr: tuple[str, int], site: Site, faults: list[str] = (),
                 log_path: str | None = None, injected: list[str] = (),
                 latency: float = 0.0, *, live_picbox: bool = False,
                 no_validators: bool = False, photo_kb: tuple[int, int] | None = None) -> None:
        """`faults`: maintenance specs (`--maintenance`); `injected`: `--fault` specs;
        `latency`: seconds every response waits before its status line (`--latency`);
        `live_picbox`, `no_validators`: modes of App."""
        from .faults import parse_spec  # faults.py builds on this module

        if not latency >= 0:  # also refuses NaN
            raise ValueError(f"latency must be >= 0 seconds: {latency!r}")
        self.latency = float(latency)
        chain = [parse_fault(f, site) for f in faults]
        chain += [parse_spec(f, site) for f in injected]
        super().__init__(addr, Handler)
        self.site = site
        self.app = App(site, live_picbox=live_picbox, no_validators=no_validators)
        self.app.photo_kb = photo_kb  # article photos of a real size (`--photo-kb`)
        self.faults: list[Fault] = sorted(chain, key=lambda f: f.stage)
        self.log = RequestLog(log_path)


def _accepts_gzip(value: str) -> bool:
    for part in value.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            q = params.strip()
            return not (q.startswith("q=") and float(q[2:] or 0) == 0)
    return False


class Handler(BaseHTTPRequestHandler):
    """Parses origin-form and absolute-form requests; delegates to the server's pipeline."""

    protocol_version = "HTTP/1.1"
    server: ReplicaServer
    timeout = 60
    # Headers and body go out in separate writes; with Nagle on, a kept-alive connection
    # waits for the client's delayed ACK (~40 ms) before each body.
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return SERVER_NAME

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Silence stderr logging: the JSON log is the record."""

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_CONNECT(self) -> None:
        """HTTPS tunnelling is not offered: everything over CONNECT is off-site."""
        self._send_simple(self.path, "", self.path, "", False, True, 502)

    def _handle(self) -> None:
        headers = {k: v for k, v in self.headers.items()}
        target = self.path
        via_proxy = target.startswith(("http://", "https://"))
        if via_proxy:
            u = urlsplit(target)
            host = u.netloc.lower()
            path, query = u.path or "/", u.query
            site = self.server.site.variant
            if u.scheme != "http" or host not in (site.host, f"{site.host}:80"):
                url = target
                self._send_simple(url, host, path, query, True, True, 502)
                return
            root = site.root
        else:
            u = urlsplit(target)
            path, query = u.path, u.query
            host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
            root = "http://" + host
        url = root + path + ("?" + query if query else "")
        req = Request(self.command, path, query, root, headers, via_proxy)
        resp = self.server.app.route(path, query, root)
        for fault in self.server.faults:
            replaced = fault.intercept(req, resp)
            if replaced is not None:
                resp = replaced
                if fault.terminal:
                    break
        if self.server.latency:
            resp = dataclasses.replace(resp, delay=resp.delay + self.server.latency)
        self._write(req, resp, {
            "time": time.time(), "method": self.command, "url": url, "path": path,
            "query": query, "host": host, "via_proxy": via_proxy, "status": None,
            "headers": headers, "bytes": 0, "offsite": False,
            "maintenance": resp.maintenance, "fault": "+".join(resp.faults) or None,
        })

    def _send_simple(self, url: str, host: str, path: str, query: str, via_proxy: bool,
                     offsite: bool, status: int) -> None:
        body = b"<html><body><h1>502 Bad Gateway</h1><p>off-site host</p></body></html>"
        if self.server.latency:
            time.sleep(self.server.latency)
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.server.log.write({
            "time": time.time(), "method": self.command, "url": url, "path": path,
            "query": query, "host": host, "via_proxy": via_proxy, "status": status,
            "headers": dict(self.headers.items()), "bytes": len(body), "offsite": offsite,
            "maintenance": False, "fault": None,
        })

    def _write(self, req: Request, resp: Response, record: dict) -> None:
        """Apply validators, 304 and gzip; log `record` with status (None if reset) and body
        bytes sent, then write. Logging before the response goes out keeps the log in the
        order a client saw its responses."""
        if resp.delay:
            time.sleep(resp.delay)
        if resp.reset:
            self.server.log.write(record)
            self._reset()
            return
        seed = self.server.site.seed
        status, body = resp.status, resp.body
        hdrs: dict[str, str] = {}
        ctype = resp.content_type
        if (ctype == "text/html" and not resp.exact_type
                and stable_hash(seed, "charset", req.path) % 2):
            ctype = "text/html; charset=gb2312"
        if status == 200 and not self.server.app.no_validators:
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            lm = email.utils.format_datetime(resp.mtime.astimezone(dt.UTC), usegmt=True)
            hdrs["ETag"], hdrs["Last-Modified"] = etag, lm
            if self._not_modified(req.headers, etag, resp.mtime):
                status, body = 304, b""
        gz_ok = (ctype.startswith("text/html") and resp.status == 200 and status == 200
                 and resp.compress and stable_hash(seed, "gzip", req.path) % 2 == 0)
        if gz_ok:
            hdrs["Vary"] = "Accept-Encoding"
            if _accepts_gzip(req.headers.get("Accept-Encoding", "")):
                body = gzip.compress(body, mtime=0)
                hdrs["Content-Encoding"] = "gzip"
        hdrs.update(resp.headers)
        length = len(body)
        if req.method == "HEAD":
            body = b""
        cut = resp.truncate_to
        if resp.truncate_ratio is not None and body:
            cut = int(len(body) * resp.truncate_ratio)
        if cut is not None and cut < len(body):
            body = body[:cut]
            self.close_connection = True
        record.update(status=status, bytes=len(body))
        self.server.log.write(record)
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", ctype)
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if not body:
            return
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    @staticmethod
    def _not_modified(h: dict[str, str], etag: str, mtime: dt.datetime) -> bool:
        inm = h.get("If-None-Match")
        if inm is not None:
            tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
            return etag in tags or "*" in tags
        ims = h.get("If-Modified-Since")
        if ims:
            try:
                since = email.utils.parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=dt.UTC)
            return mtime.replace(microsecond=0) <= since
        return False

    def _reset(self) -> None:
        """Abort the connection with RST (SO_LINGER 0): the `reset` fault."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
