"""A hostile HTTP proxy on 127.0.0.1, on raw sockets, for tests.

It serves a small replica of the site (``tests.replica``'s routing) as the crawl's
``http_proxy`` and answers chosen paths with whatever bytes a test wants: a brotli body,
a gzip bomb, response headers without end, a maintenance page that never ends. Raw sockets,
not ``http.server``, because the point is to send what no well-behaved server library would.
Runs in a thread of the test process; the crawl is a subprocess.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import urlsplit

from tests.replica.model import Site
from tests.replica.server import MAINTENANCE, App

ROOT = "http://sznews.zjol.com.cn"


@dataclass
class Seen:
    """One request as the server read it."""

    path: str
    headers: dict[str, str]


# A hostile answer writes to the connection itself; it returns False to close it.
Answer = Callable[[socket.socket, Seen], bool]


def response_bytes(status: int, headers: list[tuple[str, str]], body: bytes,
                   *, length: bool = True) -> bytes:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "X"
    lines = [f"HTTP/1.1 {status} {phrase}", *(f"{k}: {v}" for k, v in headers)]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def send(status: int, headers: list[tuple[str, str]], body: bytes) -> Answer:
    """An answer of fixed bytes, keeping the connection open."""
    data = response_bytes(status, headers, body)

    def answer(conn: socket.socket, seen: Seen) -> bool:
        conn.sendall(data)
        return True

    return answer


def endless_headers(conn: socket.socket, seen: Seen) -> bool:
    """``200 OK`` and then ``X-Pad`` lines until the client hangs up."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
    line = b"X-Pad: " + b"p" * 120 + b"\r\n"
    chunk = line * 500
    try:
        while True:
            conn.sendall(chunk)
    except OSError:
        return False


def maintenance_forever(retry_after: str = "999999") -> Answer:
    return send(503, [("Content-Type", "text/html"), ("Retry-After", retry_after)], MAINTENANCE)


def gzip_bomb(inflated: int) -> bytes:
    """A gzip member of ``inflated`` zero bytes (about 1/1000 of that on the wire)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = [comp.compress(block) for _ in range(inflated >> 20)]
    parts.append(comp.compress(bytes(inflated & ((1 << 20) - 1))))
    parts.append(comp.flush())
    return b"".join(parts)


@dataclass
class HostileServer:
    """The replica of ``site`` behind a proxy socket, with ``answers`` by path."""

    site: Site
    answers: dict[str, Answer] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.app = App(self.site)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.proxy_url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._conns: list[socket.socket] = []

    def article_path(self, i: int = 0) -> str:
        return self.site.path(i)

    def paths(self) -> list[str]:
        with self._lock:
            return [s.path for s in self.seen]

    def __enter__(self) -> HostileServer:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self.sock.close()
        with self._lock:
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                target = lines[0].split(" ")[1]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                parts = urlsplit(target)
                seen = Seen(parts.path or "/", headers)
                with self._lock:
                    self.seen.append(seen)
                answer = self.answers.get(seen.path)
                if answer is not None:
                    if not answer(conn, seen):
                        return
                    continue
                conn.sendall(self._replica(parts.path or "/", parts.query))
        except OSError:
            return
        finally:
            conn.close()

    def _replica(self, path: str, query: str) -> bytes:
        resp = self.app.route(path, query, ROOT)
        content_type = resp.content_type
        if content_type.startswith("text/html") and "charset" not in content_type:
            content_type += "; charset=gb2312"
        headers = [("Content-Type", content_type), *resp.headers.items()]
        return response_bytes(resp.status, headers, resp.body)


def brotli_page(html: bytes, *, valid: bool = True) -> Answer:
    import brotli

    body = brotli.compress(html) if valid else b"\x00garbage, not brotli\xff" * 50
    return send(200, [("Content-Type", "text/html; charset=gb2312"),
                      ("Content-Encoding", "br")], body)


def gzip_page(body: bytes) -> Answer:
    return send(200, [("Content-Type", "text/html; charset=gb2312"),
                      ("Content-Encoding", "gzip")], body)


def replica_html(server: HostileServer, path: str) -> bytes:
    return server.app.route(path, "", ROOT).body


__all__ = ["HostileServer", "brotli_page", "endless_headers", "gzip_bomb", "gzip_page",
           "maintenance_forever", "replica_html", "send"]
