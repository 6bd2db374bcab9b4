"""What one run hands the next: URLs it could not fetch, asked for first next time.

A failed fetch is counted by why it failed (``crawler.fetching.failures``); one that asking again
may cure, on the site's own host, is written to the state directory when the spider
closes, and the next run asks for it first, with the URLs left in maintenance
(``crawler/dedup/maintenance.py``) and the work a killed run had started (its work log,
``crawler/resume/job.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.dedup.deferring import load_pending, save_pending
from crawler.dedup.maintenance import STATE_FILE as MAINTENANCE_FILE
from crawler.dedup.notsite import STATE_FILE as NOTSITE_FILE
from crawler.discovery.requests import SiteRequests
from crawler.fetching.deferral import RequestDeferred
from crawler.fetching.failures import FAILED_FILE, PERMANENT_FAILURES, failure_reason
from crawler.resume.job import InflightLog, callback_name
from crawler.run.context import RunSummary

logger = logging.getLogger(__name__)


class FailedFetches:
    """This run's failed fetches, by URL; ``summary``: the run's report's lists."""

    def __init__(self, site_host: str, stats: Any, summary: RunSummary | None) -> None:
        self.site_host = site_host
        self.stats = stats
        self.summary = summary
        self.failed: dict[str, dict[str, str]] = {}  # url -> url, callback, reason

    def record(self, failure: Failure) -> bool:
        """Count why a request failed; False when it did not (deferred, a requisite not
        modified, a link robots.txt asks crawlers to leave)."""
        if failure.check(RequestDeferred):
            return False  # the same request comes back later
        if failure.check(HttpError) and failure.value.response.status == 304:
            # A requisite asked for conditionally, not modified: the WARC has its revisit.
            self.stats.inc_value("incremental/requisites/not_modified")
            return False
        reason = failure_reason(failure)
        if reason == "robots":  # a link the site asks crawlers to leave: not a failure
            self.stats.inc_value("sznews/links/robots_skipped")
            return False
        self.stats.inc_value(f"sznews/failed/{reason}")
        request = failure.request
        if reason not in PERMANENT_FAILURES and urlsplit(request.url).hostname == self.site_host:
            # Asked first by the next run, until it succeeds or is gone (404/410).
            self.failed[request.url] = {"url": request.url, "callback": callback_name(request),
                                        "reason": reason}
            if self.summary is not None:
                self.summary.note(self.summary.failed_fetches, self.failed[request.url])
        if reason in ("too_large", "decompressed_too_large") and self.summary is not None:
            self.summary.note(self.summary.dropped, {"url": request.url, "reason": reason,
                                                     "detail": failure.getErrorMessage()[:300]})
        return True

    def save(self, state_dir: Path) -> None:
        """Hand this run's failed fetches to the next run (a killed run's are in its work log)."""
        entries = sorted(self.failed.values(), key=lambda e: e["url"])
        try:
            save_pending(state_dir, entries, FAILED_FILE)
        except OSError as exc:
            logger.warning("Could not save the failed fetches for the next run: %s", exc)


def carried_over(
    state_dir: Path, inflight: Path | None, requests: SiteRequests, stats: Any
) -> Iterator[scrapy.Request]:
    """The requests earlier runs handed on: URLs left in maintenance or not fetched, then
    the work a killed run had started and not finished (``inflight``: its work log)."""
    carried = [(entry, "dedup/maintenance/carried_over")
               for entry in load_pending(state_dir, MAINTENANCE_FILE)]
    carried += [(entry, "incremental/failed/carried_over")
                for entry in load_pending(state_dir, FAILED_FILE)]
    carried += [(entry, "dedup/notsite/carried_over")
                for entry in load_pending(state_dir, NOTSITE_FILE)]
    for entry, stat in carried:
        request = requests.written_down(entry["url"], entry.get("callback") or "parse",
                                        priority=100)
        if request is not None:
            stats.inc_value(stat)
            yield request
    if inflight is not None:
        for url, name in InflightLog.unfinished(inflight):
            request = requests.written_down(url, name, priority=50, dont_filter=True)
            if request is not None:
                stats.inc_value("job/resumed_requests")
                yield request
