"""The identity, layout and shared record of one crawl run.

``RunContext`` is plain data: which run, where its files go, when it started, what its
components tell the report (``RunSummary``) and whether a write already failed. It is made
and filled by the run's owner (``crawler/run/owner.py``), which also holds the open files;
components receive it from there in ``from_crawler`` and keep it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from time import monotonic
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

from archive.layout import ArchiveLayout

if TYPE_CHECKING:
    from crawler.resume.job import InflightLog
    from crawler.state.store import CaptureState

__all__ = ["ArchiveLayout", "RunContext", "RunSummary", "StateUnavailable"]


class StateUnavailable(NotConfigured):
    """The state database could not be opened (the cause is chained)."""


@dataclass
class RunSummary:
    """What components tell the run's report beyond the stats: which URLs, and why."""

    LIMIT = 1000  # entries a list keeps: a report must stay readable on a bad day

    dropped: list[dict[str, str]] = field(default_factory=list)  # over a size limit
    failed_fetches: list[dict[str, str]] = field(default_factory=list)  # carried over
    maintenance_unresolved: list[str] = field(default_factory=list)
    not_site_pages: list[str] = field(default_factory=list)  # crawler/dedup/notsite.py
    not_site_unresolved: list[str] = field(default_factory=list)
    index_lines: int | None = None
    write_error: str | None = None  # the one message of a failed write (crawler.run.diskfull)

    def note(self, listing: list[dict[str, str]], entry: dict[str, str]) -> None:
        if len(listing) < self.LIMIT:
            listing.append(entry)


@dataclass
class RunContext:
    run_id: str
    layout: ArchiveLayout
    started: datetime
    started_monotonic: float = field(default_factory=monotonic)
    summary: RunSummary = field(default_factory=RunSummary)
    resumed: bool = False
    # The state database, open for the whole run (None: a debugging command, or it could not
    # be opened: ``state_error`` says why, and the WARC capture stops the run).
    state: CaptureState | None = None
    state_error: BaseException | None = None
    # The work log, when the run can be resumed (JOBDIR); see crawler/resume/job.py.
    inflight: InflightLog | None = None
    # Set when a write to ARCHIVE_DIR failed (a full disk): the run is ending, and what fails
    # after that is reported as a consequence, not as another error.
    write_failed: BaseException | None = None

    def log_write_failure(self, logger: logging.Logger, what: str, exc: BaseException) -> None:
        level = logging.WARNING if self.write_failed is not None else logging.ERROR
        logger.log(level, "%s: %s", what, exc)
