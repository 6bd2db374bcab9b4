"""Why a request failed, in words a report and the next run can use."""

from __future__ import annotations

from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure


def failure_reason(failure: Failure) -> str:
    """A short, stable name for why a request failed (a stat and report key)."""
    message = failure.getErrorMessage()
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if failure.check(IgnoreRequest) and "during decompression" in message:
        return "decompressed_too_large"
    if failure.check(IgnoreRequest) and "robots.txt" in message:
        return "robots"
    if failure.check(DownloadCancelledError) or "download max size" in message.lower():
        return "too_large"
    return failure.type.__name__ if failure.type else "unknown"


# A failure that asking again will not cure: not carried over to the next run.
PERMANENT_FAILURES = ("http_404", "http_410", "too_large", "decompressed_too_large",
                      "MaintenanceUnresolved", "IgnoreRequest")
FAILED_FILE = "failed.json"
