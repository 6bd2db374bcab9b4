"""Faults that change what a page is rather than how it is delivered (`--fault`, faults.py).

  challenge=RATE[:KIND]   a seeded RATE of article pages answer, on every request, status 200
                          with a page that is not the site's: KIND is one of `NOT_SITE_PAGES`
                          (`js_challenge` by default): a WAF's JavaScript challenge, a login
                          wall, an empty body, a short Chinese error text
  restyle=GENERATION      every article page is rendered in GENERATION (`table`, `div` or
                          `plain`, see model.Article.generation) whatever its date: the day the
                          site changes its article template

Kept apart from faults.py (which dispatches here) so that module stays one job: delivery.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from typing import Any

from .model import Site, stable_hash
from .render import Renderer
from .server import Fault, Request, Response

# Pages a CDN, WAF or application server sends instead of the site's, with status 200. None
# of them carries the site's blocks, its name or an article's structure.
NOT_SITE_PAGES: dict[str, bytes] = {
    "js_challenge": (
        b"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Just a moment...</title>"
        b"<script>var t=setTimeout(function(){document.cookie='__jsl_clearance=1613;path=/';"
        b"location.reload()},1500);</script></head><body><noscript>Please enable JavaScript"
        b"</noscript><div id=\"challenge\">Checking your browser before accessing the site."
        b"</div></body></html>"
    ),
    "login_form": (
        "<html><head><meta charset=\"utf-8\"><title>\u7528\u6237\u767b\u5f55</title></head>"
        "<body><form method=\"post\" action=\"/login\"><input name=\"user\">"
        "<input type=\"password\" name=\"pass\"><button>\u767b\u5f55</button></form>"
        "</body></html>"
    ).encode("utf-8"),
    "empty": b"",
    "chinese_error": "\u7cfb\u7edf\u7e41\u5fd9\uff0c\u8bf7\u7a0d\u540e\u518d\u8bd5".encode("gbk"),
}


class Challenge(Fault):
    """A seeded RATE of article paths (every page of an article) answer a not-the-site page."""

    name, stage = "challenge", 45

    def __init__(self, site: Site, rate: float, kind: str = "js_challenge") -> None:
        if not 0 <= rate <= 1 or kind not in NOT_SITE_PAGES:
            raise ValueError(f"challenge: RATE in [0, 1] and KIND in {sorted(NOT_SITE_PAGES)}")
        self.site, self.rate, self.kind = site, rate, kind

    def selects(self, path: str) -> bool:
        found = self.site.find_article(path)
        if found is None:
            return False
        h = stable_hash(self.site.seed, "fault", self.name, self.site.ids[found[0]])
        return h % 1_000_000 < self.rate * 1_000_000

    def intercept(self, req: Request, resp: Response) -> Response | None:
        if resp.kind != "article" or resp.status != 200 or not self.selects(req.path):
            return None
        # A challenge is made now: no validator of the article's can match it.
        return Response(200, NOT_SITE_PAGES[self.kind], content_type="text/html", kind="other",
                        mtime=dt.datetime.now(dt.UTC), exact_type=True, faults=[self.name])


class _Restyled:
    """An article seen through another markup generation."""

    def __init__(self, article: Any, generation: str) -> None:
        self._article, self.generation = article, generation
        self.div_template = generation == "div"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._article, name)


class Restyle(Fault):
    name, stage, terminal = "restyle", 1, False
    GENERATIONS = ("table", "div", "plain")

    def __init__(self, site: Site, generation: str) -> None:
        if generation not in self.GENERATIONS:
            raise ValueError(f"restyle: GENERATION is one of {self.GENERATIONS}")
        self.site, self.generation = site, generation
        self._renderer = Renderer(site)
        self.lock = threading.Lock()

    def intercept(self, req: Request, resp: Response) -> Response | None:
        if resp.kind != "article" or resp.status != 200:
            return None
        found = self.site.find_article(req.path)
        if found is None:
            return None
        article = _Restyled(self.site.article(found[0]), self.generation)
        with self.lock:
            body = self._renderer.article(req.root, article, found[1])
        return dataclasses.replace(resp, body=body, faults=[*resp.faults, self.name])


def parse_page_fault(mode: str, arg: str, site: Site) -> Fault | None:
    """The fault of a `challenge=` or `restyle=` spec; None for other modes."""
    if mode == "challenge":
        rate, _, kind = arg.partition(":")
        return Challenge(site, float(rate), kind or "js_challenge")
    if mode == "restyle":
        return Restyle(site, arg)
    return None
