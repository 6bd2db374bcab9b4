"""Contracts that hold on any copy of the site, whatever articles it has today.

Article URLs change with the site's content, so a contract cannot name one. ``@first_article``
turns the ``@url`` page (a channel that always exists) into the first single-page article it
links to, fetched through the same ``http_proxy`` the check runs with. What is an article, and
whether it has later pages, is the spider's site profile's to say (``SITE_PROFILE``).
"""

from __future__ import annotations

import urllib.request
from typing import Any
from urllib.parse import urljoin

from scrapy.contracts import Contract

from crawler.discovery.outlinks import page_links
from crawler.extraction.conventions import article_page_urls
from crawler.extraction.page import parse_html
from crawler.profile import PageKind, SiteProfile

_MAX_CANDIDATES = 20


def _get(url: str, timeout: float = 20) -> tuple[bytes, str | None]:
    request = urllib.request.Request(url, headers={"User-Agent": "sznews-archive contracts"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # env proxies apply
        return response.read(), response.headers.get("Content-Type")


def first_single_page_article(listing_url: str, profile: SiteProfile) -> str:
    body, content_type = _get(listing_url)
    page = parse_html(body, listing_url, content_type)
    seen = []
    for link in page_links(page):
        url = profile.article_first_page(urljoin(listing_url, link.url))
        if profile.kind_of(url) is not PageKind.ARTICLE or url in seen:
            continue
        seen.append(url)
        article_body, article_type = _get(url)
        if len(article_page_urls(parse_html(article_body, url, article_type), profile)) == 1:
            return url
        if len(seen) >= _MAX_CANDIDATES:
            break
    raise ValueError(f"no single-page article linked from {listing_url}")


class FirstArticleContract(Contract):
    """@first_article: check the callback on the first single-page article of the @url page."""

    name = "first_article"

    def adjust_request_args(self, args: dict[str, Any]) -> dict[str, Any]:
        # The callback is the spider's bound method: its profile is the crawl's SITE_PROFILE.
        args["url"] = first_single_page_article(args["url"], args["callback"].__self__.profile)
        return args
