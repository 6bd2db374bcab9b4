"""pywb's URLs: a capture's replay URL, the search page of a URL pattern, 14-digit timestamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_MODE_RE = re.compile(r"^(?:[a-z]{2}_)?$")


def wayback_timestamp(value: str | datetime | None) -> str:
    """14-digit (or shorter, as a prefix) pywb timestamp from a datetime, CDXJ or WARC-Date."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    digits = re.sub(r"\D", "", value)[:14]
    if value.strip() and not digits:
        raise ValueError(f"not a timestamp: {value!r}")
    return digits


def replay_url(
    base: str,
    collection: str,
    timestamp: str | datetime | None,
    url: str,
    mode: str = "mp_",
) -> str:
    """`{base}/{collection}/{timestamp}{mode}/{url}`.

    mode "mp_" is the rewritten page without pywb's frame, "id_" the stored payload
    untouched, "" the framed top-level view. An empty timestamp means "closest to now".
    """
    if not _MODE_RE.match(mode):
        raise ValueError(f"invalid replay mode {mode!r} (expected e.g. 'mp_', 'id_' or '')")
    stamp = wayback_timestamp(timestamp)
    prefix = f"{stamp}{mode}/" if stamp or mode else ""
    return f"{base.rstrip('/')}/{collection}/{prefix}{url}"


def query_url(base: str, collection: str, url_pattern: str) -> str:
    """Calendar/search page listing every capture matching url_pattern (may end in '*')."""
    return f"{base.rstrip('/')}/{collection}/*/{url_pattern}"
