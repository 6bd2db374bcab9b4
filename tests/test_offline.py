"""CookiesMiddleware's public-suffix check stays off the network (crawler/fetching/offline.py).

Each case runs in a fresh interpreter whose sockets refuse and record every lookup and
connection, with an empty tldextract cache, so a download of the public suffix list could
neither succeed nor go unseen. Without the project's settings the same check attempts one:
that control is what makes the empty list of attempts mean something.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.crawling import ROOT

_SCRIPT = """
import json, socket, sys
attempts = []

def refuse(*args, **kwargs):
    attempts.append(repr(args[:2]))
    raise OSError("the network is off in this test")

socket.getaddrinfo = refuse
socket.create_connection = refuse
socket.socket.connect = lambda self, address: refuse(address)
socket.socket.connect_ex = lambda self, address: refuse(address)

if sys.argv[1] == "project":
    from scrapy.utils.project import get_project_settings
    get_project_settings()  # what every scrapy command does before loading a middleware

from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

mw = CookiesMiddleware.from_crawler(get_crawler())
page = Request("http://sznews.zjol.com.cn/sznews/index.shtml")
set_cookie = ["site=1; Domain=.zjol.com.cn; Path=/", "suffix=1; Domain=.com.cn; Path=/"]
mw.process_response(page, HtmlResponse(page.url, request=page, headers={"Set-Cookie": set_cookie}))
sibling = Request("http://www.zjol.com.cn/")
mw.process_request(sibling)
print(json.dumps({"attempts": attempts, "cookie": sibling.headers.get("Cookie", b"").decode()}))
"""


def cookie_check(mode: str, cache: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if "proxy" not in k.lower() and not k.startswith("TLDEXTRACT_")}
    env["TLDEXTRACT_CACHE"] = str(cache)  # empty: no list fetched by an earlier process
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, mode], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_cookie_domain_check_never_fetches_the_suffix_list(tmp_path: Path) -> None:
    got = cookie_check("project", tmp_path / "tldextract-cache")
    assert got["attempts"] == []
    # The bundled list tells a site's domain from a public suffix: a cookie for .com.cn is
    # refused, one for .zjol.com.cn goes to a sibling host.
    assert got["cookie"] == "site=1"


def test_without_the_project_settings_tldextract_would_fetch_it(tmp_path: Path) -> None:
    """The control: the sockets do see a download attempt when there is one."""
    got = cookie_check("control", tmp_path / "tldextract-cache")
    assert any("publicsuffix" in attempt for attempt in got["attempts"]), got["attempts"]
    assert got["cookie"] == "site=1"  # the snapshot, once the download failed
