"""The one object that owns a run: it opens what the run needs, in one order, and closes it.

``ArchiveRun`` is a Scrapy add-on (``ADDONS``): Scrapy builds add-ons before the stats, the
extensions, the middlewares and the pipelines, so every component finds the run already
open when it asks for it in ``from_crawler`` (``run_of(crawler)``) and keeps what it needs.
(The spider alone is built earlier, and reaches the run when it starts.)

Opening, in this order (``open``):

1. recover: a killed run's unfinished ``.open`` WARC is cut at its last record and named,
   and the temporaries a kill left (``archive/leftovers.py``) are removed;
2. state: the state database (``crawler/state/store.py``) is opened;
3. catch up: it folds in every WARC record and item line it has not seen yet;
4. schedule: the recheck schedule of this run (``crawler/incremental/recheck.py``);
5. deferrals: the requests that come back later (``crawler/fetching/deferral.py``);
6. work log: ``inflight.log`` when the run can be resumed (JOBDIR).

The WARC writer opens at ``spider_opened`` (``crawler/capture/warc.py``). The run's end
(``crawler/run/end.py``) closes in the reverse order: WARC writer, work log, state
(``closing_steps``), then writes the index and the report.

A debugging command (``ARCHIVE_READ_ONLY``) makes no run: nothing is opened on disk, only
the deferrals (in memory) exist. A state that cannot be opened (a full disk) leaves
``context.state`` None and ``context.state_error`` set; the WARC capture records that as
the run's write failure, which stops the crawl before it starts.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals

from archive.layout import ArchiveLayout
from archive.leftovers import remove_leftovers
from archive.writer import recover_open_files
from crawler.config import default
from crawler.fetching.deferral import Deferrals
from crawler.incremental.recheck import RecheckSchedule
from crawler.resume.job import InflightLog, new_run_id
from crawler.run.context import RunContext
from crawler.state.store import CaptureState

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

Step = tuple[str, Callable[[], None]]


class ArchiveRun:
    def __init__(self, context: RunContext, settings: Any, crawler: Crawler | None = None
                 ) -> None:
        self.context = context
        self.settings = settings
        self.crawler = crawler
        self.read_only = settings.getbool("ARCHIVE_READ_ONLY")
        self.schedule: RecheckSchedule | None = None
        self.deferrals: Deferrals | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveRun:
        settings = crawler.settings
        started = datetime.now(UTC)
        context = RunContext(
            run_id=settings.get("ARCHIVE_RUN_ID") or new_run_id(started),
            layout=ArchiveLayout.at(settings.get("ARCHIVE_DIR")),
            started=started,
            resumed=settings.getbool("ARCHIVE_RESUMED"),
        )
        run = cls(context, settings, crawler)
        run.open()
        crawler.signals.connect(run.spider_opened, signal=signals.spider_opened)
        return run

    def update_settings(self, settings: Any) -> None:
        """An add-on's hook; the run changes no setting."""

    @property
    def state(self) -> CaptureState | None:
        return self.context.state

    # -- opening, in the order of the module docstring --------------------------------------

    def open(self) -> None:
        if not self.read_only:
            self._open_state()  # 1-3: recover, state, catch up
            incremental = self.settings.getbool("INCREMENTAL_ENABLED",
                                                default("INCREMENTAL_ENABLED"))
            if self.context.state is not None and incremental:
                self.schedule = RecheckSchedule.open(  # 4 (ValueError: a bad setting)
                    self.settings, self.context.state, self.context.started,
                    self.context.run_id, self.context.layout.reports_dir,
                    self.context.layout.state_dir)
        if self.crawler is not None:
            self.deferrals = Deferrals(self.crawler)  # 5
        jobdir = self.settings.get("JOBDIR")
        if jobdir and not self.read_only:
            self.context.inflight = InflightLog(Path(jobdir).parent / "inflight.log")  # 6

    def _open_state(self) -> None:
        layout = self.context.layout
        warc_dir = layout.warc_dir
        if layout.root.is_dir():
            removed = remove_leftovers(layout.root)
            if removed:
                logger.warning("Removed %d temporary files a killed process left, e.g. %s",
                               len(removed), removed[0])
        try:
            if warc_dir.is_dir():
                for path in recover_open_files(warc_dir):
                    logger.warning("Recovered an unfinished WARC from an earlier run: %s", path)
            state = CaptureState(layout.state_db)
        except (OSError, sqlite3.Error) as exc:
            self.context.state_error = exc
            return
        try:
            caught = state.catch_up(warc_dir, layout.items_root)
        except (OSError, sqlite3.Error) as exc:
            self.context.state_error = exc
            state.close()
            return
        if any(caught.values()):
            logger.info("The state caught up with the archive: %s", caught)
        self.context.state = state

    def spider_opened(self) -> None:
        # Scrapy makes the stats collector after the add-ons: the schedule counts from here.
        if self.schedule is not None and self.crawler is not None:
            self.schedule.count_into(self.crawler.stats)

    # -- closing, in the reverse order ------------------------------------------------------

    def close_state(self) -> None:
        if self.context.state is not None:
            self.context.state.close()

    def closing_steps(self) -> list[Step]:
        """What the run holds open, in the order it must be closed (after the WARC writer)."""
        steps: list[Step] = []
        if self.context.inflight is not None:
            steps.append(("inflight log", self.context.inflight.close))
        steps.append(("state", self.close_state))
        return steps


def run_of(crawler: Crawler) -> ArchiveRun:
    """The crawler's run, for a component's ``from_crawler`` (Scrapy's add-on look-up)."""
    run = crawler.get_addon(ArchiveRun)
    if run is None:
        raise RuntimeError("no run: crawler.run.owner.ArchiveRun is missing from ADDONS")
    return run
