"""An HTTP exchange as it went over the wire, and a payload's original record.

The WARC capture (``warc.py``) builds its records from these; they read a request and its
response and nothing of the run, so tests build them from plain Scrapy objects.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from archive.reader import read_record
from archive.records import Exchange, HttpRequestData, HttpResponseData
from crawler.fetching.downloader import FETCH_BEGAN, REASON
from crawler.state.records import Payload

if TYPE_CHECKING:
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

# Request headers that are credentials, not part of what the site saw of the crawler.
PRIVATE_REQUEST_HEADERS = {b"proxy-authorization"}


def exchange_from(request: Request, response: Response) -> Exchange:
    """The exchange as it went over the wire, as far as Scrapy lets us see it."""
    began = request.meta.get(FETCH_BEGAN)
    if began is None:
        latency = request.meta.get("download_latency") or 0.0
        began = datetime.now(UTC) - timedelta(seconds=latency)
    parts = urlsplit(request.url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    req_headers: list[tuple[bytes, bytes]] = [(b"Host", parts.netloc.encode("idna"))]
    for name, values in request.headers.items():
        if name.lower() in PRIVATE_REQUEST_HEADERS or name.lower() == b"host":
            continue
        req_headers.extend((name, v) for v in values)
    resp_headers: list[tuple[bytes, bytes]] = []
    for name, values in response.headers.items():
        resp_headers.extend((name, v) for v in values)
    reason = request.meta.get(REASON)
    if reason is None:
        try:
            reason = HTTPStatus(response.status).phrase.encode("ascii")
        except ValueError:
            reason = b""
    protocol = response.protocol or "HTTP/1.1"
    return Exchange(
        url=request.url,
        date=began,
        ip_address=str(response.ip_address) if response.ip_address else None,
        request=HttpRequestData(
            method=request.method,
            target=target,
            protocol=protocol,
            headers=req_headers,
            body=request.body or b"",
        ),
        response=HttpResponseData(
            protocol=protocol,
            status=response.status,
            reason=reason,
            headers=resp_headers,
            body=response.body,
        ),
    )


def safe_host_name(name: str) -> str:
    """The machine's name as a file-name part: nothing but letters, digits, dot and dash."""
    return re.sub(r"[^A-Za-z0-9.-]+", "-", name).strip(".-") or "host"


def resolve_payload(payload: Payload, warc_dir: Path) -> Payload:
    """The exact WARC-Date and record id of a payload known only from an index (whole-second
    timestamps, no id), read from the record itself."""
    if payload.location is None:
        return payload
    filename, offset, length = payload.location
    try:
        headers = read_record(warc_dir / filename, offset, length).rec_headers
    except (OSError, ValueError) as exc:
        logger.warning("Cannot read original record in %s: %s", filename, exc)
        return replace(payload, location=None)
    return replace(
        payload,
        warc_date=headers.get_header("WARC-Date") or payload.warc_date,
        record_id=headers.get_header("WARC-Record-ID"),
        location=None,
    )
