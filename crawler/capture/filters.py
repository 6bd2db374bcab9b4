"""What the WARC capture keeps out of ``warc/``: a filter returns why, or None to archive.

Each filter is built from plain values (a site profile, a size), so tests call it directly;
the WARC capture (``warc.py``) asks every filter before it records an exchange.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from crawler.dedup.maintenance import is_maintenance_response
from crawler.fetching.compression import decoded_size_exceeds
from crawler.profile import SiteProfile

if TYPE_CHECKING:
    from scrapy.http import Request, Response

# A capture filter returns a reason to keep the exchange out of warc/, or None to archive it.
CaptureFilter = Callable[["Request", "Response"], str | None]


def maintenance_filter(profile: SiteProfile) -> CaptureFilter:
    """Keep out the site's maintenance pages (``crawler/dedup/maintenance.py``)."""

    def in_maintenance(request: Request, response: Response) -> str | None:
        return "maintenance" if is_maintenance_response(request, response, profile) else None

    return in_maintenance


def bomb_filter(max_size: int) -> CaptureFilter:
    """Keep out what HttpCompressionMiddleware will drop as too large once decoded.

    Such a body is listed in the report's ``dropped``; archived, it would be a 200 whose
    payload bombs every reader that decodes it (the index did, at every rebuild). It is left
    out rather than cut (``WARC-Truncated``): a cut gzip body replays as nothing useful.
    """

    def too_large(request: Request, response: Response) -> str | None:
        limit = request.meta.get("download_maxsize", max_size)
        encoding = b",".join(response.headers.getlist(b"Content-Encoding"))
        if request.method != "HEAD" and decoded_size_exceeds(response.body, encoding, limit):
            return "decompressed_too_large"
        return None

    return too_large
