"""One HTTP exchange as it went over the wire: what the WARC records are made of.

Plain values (bytes as sent and received), so the crawler builds them from Scrapy's objects
(``crawler/capture/exchange.py``) and tests build them by hand; ``archive/records.py``
turns them into records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

HeaderValue = bytes | str


@dataclass(frozen=True)
class HttpRequestData:
    """The request as it was sent on the wire (headers in sending order)."""

    method: str
    target: str  # origin form: path + query, e.g. "/sznews/index.shtml?a=1"
    protocol: str
    headers: list[tuple[HeaderValue, HeaderValue]]
    body: bytes = b""


@dataclass(frozen=True)
class HttpResponseData:
    """The response as received: body still content-encoded, already de-chunked."""

    protocol: str
    status: int
    reason: bytes | str
    headers: list[tuple[HeaderValue, HeaderValue]]
    body: bytes


@dataclass(frozen=True)
class Exchange:
    url: str
    date: datetime
    ip_address: str | None
    request: HttpRequestData
    response: HttpResponseData
