"""The identity, layout and shared state of one crawl run.

Each component asks for its run once, in ``from_crawler``, and keeps it: ``run_context`` is
where a crawler's run is created, since Scrapy offers components no way to reach one another
while extensions are still being built (``Crawler.get_extension`` works only afterwards).
What components share through it is typed below; the order in which the run's files are
closed is ``crawler/extensions/run.py``'s alone.
"""

from __future__ import annotations

import logging
import sqlite3
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import monotonic
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

from archive.layout import ArchiveLayout
from archive.writer import recover_open_files
from crawler.state import CaptureState

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.deferral import Deferrals
    from crawler.incremental.revisits import Revisits
    from crawler.resume.job import InflightLog

logger = logging.getLogger(__name__)

__all__ = ["ArchiveLayout", "RunContext", "StateUnavailable", "new_run_id", "run_context"]


class StateUnavailable(NotConfigured):
    """The state database could not be opened (the cause is chained)."""


_RUNS: weakref.WeakKeyDictionary[Crawler, RunContext] = weakref.WeakKeyDictionary()


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%SZ")


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
    write_error: str | None = None  # the one message of a failed write (crawler.diskfull)

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
    _state: CaptureState | None = None
    # Set by the job tracker when the run can be resumed (JOBDIR); see crawler/resume/job.py.
    inflight: InflightLog | None = None
    # The revisit schedule of this run (crawler/incremental/revisits.py: Revisits.for_run).
    revisits: Revisits | None = None
    # Requests waiting to come back (crawler/deferral.py: Deferrals.of).
    deferrals: Deferrals | None = None
    resumed: bool = False
    # Set when a write to ARCHIVE_DIR failed (a full disk): the run is ending, and what fails
    # after that is reported as a consequence, not as another error.
    write_failed: BaseException | None = None
    _state_error: BaseException | None = None

    def log_write_failure(self, logger: logging.Logger, what: str, exc: BaseException) -> None:
        level = logging.WARNING if self.write_failed is not None else logging.ERROR
        logger.log(level, "%s: %s", what, exc)

    def close_state(self) -> None:
        """Close the state database, if it was opened (after everything that writes to it)."""
        if self._state is not None:
            self._state.close()

    def capture_state(self) -> CaptureState:
        """The state database, opened on first use (closed by ``close_state``).

        Before anyone reads it, it catches up with the disk: a killed run's unfinished WARC
        is cut at its last record and named, then every record and item line the state has
        not folded in yet is (see ``CaptureState.catch_up``).

        Raises StateUnavailable (a NotConfigured: a component that needs the state is left
        out) when it cannot be opened, a full disk most likely; the WARC capture, which asks
        first, records that as the run's write failure and stops the crawl.
        """
        if self._state_error is not None:
            raise StateUnavailable(str(self._state_error)) from self._state_error
        if self._state is None:
            warc_dir = self.layout.warc_dir
            try:
                if warc_dir.is_dir():
                    for path in recover_open_files(warc_dir):
                        logger.warning("Recovered an unfinished WARC from an earlier run: %s",
                                       path)
                state = CaptureState(self.layout.state_db)
            except (OSError, sqlite3.Error) as exc:
                self._state_error = exc
                raise StateUnavailable(str(exc)) from exc
            try:
                caught = state.catch_up(warc_dir, self.layout.items_root)
            except (OSError, sqlite3.Error) as exc:
                self._state_error = exc
                state.close()
                raise StateUnavailable(str(exc)) from exc
            if any(caught.values()):
                logger.info("The state caught up with the archive: %s", caught)
            self._state = state
        return self._state


def run_context(crawler: Crawler) -> RunContext:
    """The run of this crawler, created on first use from ``ARCHIVE_DIR`` and ``ARCHIVE_RUN_ID``.

    Called from ``from_crawler`` only: components keep what it returns.
    """
    ctx = _RUNS.get(crawler)
    if ctx is None:
        started = datetime.now(UTC)
        layout = ArchiveLayout.at(crawler.settings.get("ARCHIVE_DIR"))
        run_id = crawler.settings.get("ARCHIVE_RUN_ID") or new_run_id(started)
        ctx = RunContext(run_id=run_id, layout=layout, started=started)
        ctx.resumed = crawler.settings.getbool("ARCHIVE_RESUMED")
        _RUNS[crawler] = ctx
    return ctx
