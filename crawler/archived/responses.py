"""Captures read back offline as the Scrapy responses the spider's callbacks saw.

``scrapy warcshell`` and ``scrapy reextract`` use this module. Nothing here opens a socket:
records are read from ``ARCHIVE_DIR/warc`` by offset, located through ``index.cdxj`` or a scan
of the WARCs (``archive/captures.py``, which knows nothing of the site or of Scrapy). What is
the site's is here: which URLs are the same page (``url_forms``), and the response rebuilt as
the callback got it, its stored (possibly gzip-encoded) payload decoded by
``crawler/fetching/compression.py`` under the crawl's ``DOWNLOAD_MAXSIZE``, as
HttpCompressionMiddleware decodes it. A revisit keeps its own status line and headers and
takes the payload of the record it refers to.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes

from archive.captures import (
    CaptureIndex,
    CaptureNotFound,
    IndexedCapture,
    Loaded,
    nearest,
    timestamp14,
)
from crawler.fetching.compression import DecodedTooLarge, decode
from crawler.items import fetched_at
from crawler.profile import SiteProfile

logger = logging.getLogger(__name__)

__all__ = [
    "Archive",
    "DownloadLimits",
    "archived_response",
    "fetched_from",
    "url_forms",
]


def url_forms(url: str, profile: SiteProfile) -> list[str]:
    """Every URL the site answers for the same resource as ``url``, canonical first.

    Host case, default port and fragment never matter; ``dir/`` is ``dir/index.shtml``; an
    article's ``_01`` is its page 1 (and page 1 is also looked up as ``_01``).
    """
    if "://" not in url:
        url = "http://" + url.lstrip("/")
    canonical = profile.canonical_url(url)
    forms = [canonical]
    parts = urlsplit(canonical)
    path = parts.path
    m = profile.article_re.match(path)
    if m and not m.group("page"):
        forms.append(urlunsplit(parts._replace(path=f"{m.group('base')}_01.shtml")))
    if path.endswith("/index.shtml") and path.startswith(profile.root_dir):
        forms.append(urlunsplit(parts._replace(path=path.removesuffix("index.shtml"))))
    bare = urlsplit(url)._replace(fragment="").geturl()
    forms.append(bare)
    return list(dict.fromkeys(forms))


class Archive(CaptureIndex):
    """The capture index, looked up by every URL the site answers for the same page."""

    def captures_of(self, url: str, profile: SiteProfile) -> list[IndexedCapture]:
        """Every capture of ``url`` under any of its forms, oldest first."""
        return self.captures_of_forms(url_forms(url, profile), profile.canonical_url)

    def find(
        self, url: str, timestamp: str | None, profile: SiteProfile
    ) -> IndexedCapture:
        """The latest capture of ``url``, or the one nearest ``timestamp`` (14 digits)."""
        captures = self.captures_of(url, profile)
        if not captures:
            raise CaptureNotFound(f"{url} is not in the archive {self.layout.root}")
        return nearest(captures, timestamp)


def fetched_from(warc_date: str) -> str | None:
    """A WARC-Date as the items' ``fetched``, as the crawl wrote it (``fetched_at``)."""
    try:
        began = datetime.strptime(timestamp14(warc_date), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:  # a date warcio cannot read
        return None
    return fetched_at(began)


@dataclass(frozen=True)
class DownloadLimits:
    """The body sizes the crawl drops past (DOWNLOAD_MAXSIZE) and warns at (..._WARNSIZE);
    Scrapy's own defaults unless the settings say otherwise."""

    max_size: int = 1024 * 1024 * 1024
    warn_size: int = 32 * 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Any) -> DownloadLimits:
        return cls(settings.getint("DOWNLOAD_MAXSIZE"), settings.getint("DOWNLOAD_WARNSIZE"))


def archived_response(
    loaded: Loaded, request: Request | None = None, limits: DownloadLimits = DownloadLimits()
) -> Response:
    """The response as the spider's callback saw it, its body decoded as the crawl's
    HttpCompressionMiddleware decodes it (``request.meta`` may set other limits, as there).

    Raises IgnoreRequest where the crawl dropped the response (too large once decoded), and
    what the decoder raises where the crawl failed on it (a body that does not decode).
    """
    url = loaded.url
    request = request or Request(url)  # a URL the crawl could not request fails here too
    values: dict[bytes, list[bytes]] = {}  # by name as Headers spells it: one Headers, made once
    for name, value in loaded.header_list():
        values.setdefault(name.title(), []).append(value)
    headers = Headers(values)
    body = loaded.payload
    codings = values.get(b"Content-Encoding")
    if codings and request.method != "HEAD":
        max_size = request.meta.get("download_maxsize", limits.max_size)
        warn_size = request.meta.get("download_warnsize", limits.warn_size)
        try:
            body, kept = decode(body, codings, max_size)
        except DecodedTooLarge as exc:
            raise IgnoreRequest(
                f"Ignored response {url}: its body exceeded DOWNLOAD_MAXSIZE ({max_size} B) "
                f"during decompression"
            ) from exc
        if len(loaded.payload) < warn_size <= len(body):
            logger.warning("%s body size after decompression (%d B) is larger than the "
                           "download warning size (%d B).", url, len(body), warn_size)
        if kept:
            logger.warning("Cannot decode the response for %s from unsupported encoding(s) "
                           "'%s'.", url, b",".join(kept).decode("latin-1"))
            headers[b"Content-Encoding"] = kept
        else:
            del headers[b"Content-Encoding"]
    ip = loaded.record.rec_headers.get_header("WARC-IP-Address")
    try:
        ip_address = ipaddress.ip_address(ip) if ip else None
    except ValueError:
        ip_address = None
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(
        url=url,
        status=loaded.status,
        headers=headers,
        body=body,
        request=request,
        ip_address=ip_address,
        protocol=loaded.protocol,
    )
