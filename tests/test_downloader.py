"""The download handler's hold on Scrapy's private ``_ScrapyAgent``
(crawler/fetching/downloader.py).

The reason phrase and the fetch start come from a subclass of that private class, built
with the handler's private attributes; nothing falls back when a Scrapy release moves them.
This fetch through the real handler, against a server on 127.0.0.1 whose status line no
standard table knows, is what fails when they move.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.crawling import ROOT

_FETCH_SCRIPT = """
import json, socket, sys, threading
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from twisted.internet import reactor
from scrapy import Request
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.test import get_crawler
from crawler.fetching.downloader import FETCH_BEGAN, REASON, ArchivingHTTP11DownloadHandler

server = socket.create_server(("127.0.0.1", 0))

def serve():
    conn, _ = server.accept()
    with conn:
        data = b""
        while b"\\r\\n\\r\\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        conn.sendall(b"HTTP/1.1 200 Fine Thanks\\r\\nContent-Length: 2\\r\\n"
                     b"Connection: close\\r\\n\\r\\nok")

threading.Thread(target=serve, daemon=True).start()
handler = ArchivingHTTP11DownloadHandler(get_crawler())
request = Request(f"http://127.0.0.1:{server.getsockname()[1]}/page")
out = {}

async def fetch():
    response = await handler.download_request(request)
    out.update(status=response.status, body=response.body.decode(),
               reason=request.meta[REASON].decode(),
               began=request.meta[FETCH_BEGAN].isoformat())

def done(result):
    if hasattr(result, "getTraceback"):
        print(result.getTraceback(), file=sys.stderr)
    reactor.stop()

reactor.callWhenRunning(lambda: deferred_from_coro(fetch()).addBoth(done))
reactor.run()
print(json.dumps(out))
"""


def test_the_handler_keeps_the_servers_reason_phrase_through_the_private_agent() -> None:
    """A reactor of its own, in a subprocess; no proxy (the handler sees none anyway)."""
    proc = subprocess.run([sys.executable, "-c", _FETCH_SCRIPT], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got.pop("began").endswith("+00:00")
    assert got == {"status": 200, "body": "ok", "reason": "Fine Thanks"}
