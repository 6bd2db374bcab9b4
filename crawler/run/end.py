"""End a run in the one order that leaves its files consistent: the closing half of the run's
owner (``crawler/run/owner.py``), whose open files it closes in the reverse of their opening.

The WARC writer closes first (its thread's callbacks still record captures in the state),
then the work log, then the state database; only then are the disk's reserve released, the
index merged with the lines of the WARCs this run wrote (archive/merge.py) and the report
written. A step that fails is counted and the next steps run all the same: a run that ends
badly still leaves an index and a report that say so.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from archive.catalog import update_catalog
from archive.layout import UNCOMMITTED_MARK
from archive.merge import update_index
from archive.replay.collection import refresh_collections
from crawler.capture.warc import WarcCapture
from crawler.health.judge import judge_run
from crawler.health.limits import HealthConfig
from crawler.incremental.recheck import note_full_sweep
from crawler.resume import killpoints
from crawler.run.context import RunContext
from crawler.run.diskfull import release_reserve
from crawler.run.owner import ArchiveRun, Step, run_of
from crawler.run.report import build_report, write_json_atomic

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

class RunEnd:
    def __init__(self, run: RunContext, stats: Any) -> None:
        self.run = run
        self.stats = stats
        self.crawler: Crawler | None = None
        self.owner: ArchiveRun | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunEnd:
        if crawler.settings.getbool("ARCHIVE_READ_ONLY"):
            raise NotConfigured("a debugging command makes no run: no index, no report")
        HealthConfig.from_settings(crawler.settings)  # a bad HEALTH_* setting stops it here
        owner = run_of(crawler)
        ext = cls(owner.context, crawler.stats)
        ext.crawler = crawler
        ext.owner = owner
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        return ext

    def spider_opened(self) -> None:
        # Handlers run in the order they were connected, and ours starts its thread at once:
        # connected only now, once every middleware and pipeline exists and has connected its
        # own spider_closed (the not-site and maintenance lists the report and the health
        # checks read are filled there), ours runs last.
        if self.crawler is not None:
            self.crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def closing_steps(self) -> list[Step]:
        """What holds the run's files open, in the order they must be closed."""
        steps: list[Step] = []
        if self.crawler is not None:
            warc = self.crawler.get_extension(WarcCapture)
            if warc is not None:
                steps.append(("warc", warc.close))
        if self.owner is not None:
            steps += self.owner.closing_steps()  # the work log, the state
        return steps

    async def spider_closed(self, reason: str) -> None:
        # The other spider_closed handlers (which fill the run's summary) have run by now:
        # this one was connected last (spider_opened).
        steps = self.closing_steps()
        # Closing files, indexing and writing are blocking I/O: off the event loop.
        await maybe_deferred_to_future(deferToThread(self.finish, reason, steps))

    def finish(self, reason: str, steps: list[Step]) -> Path | None:
        for name, close in steps:
            try:
                close()
            except Exception as exc:  # noqa: BLE001 - the next steps run whatever failed
                self.run.log_write_failure(logger, f"Closing {name} failed", exc)
                self.stats.inc_value("run/finalizer_errors")
                self.stats.inc_value(f"run/end_errors/{name}")
        # The room set aside at the start is for the index and report, on a disk that filled
        # up; the steps before may fail there (a state commit is lost as after a kill).
        release_reserve(self.run.layout.state_dir)
        if self.stats.get_value("run/end_errors/state"):
            self._mark_state_uncommitted()
        self._rebuild_index()
        self._update_catalog()
        return self._write_report(reason)

    def _mark_state_uncommitted(self) -> None:
        """The state may lack this run's versions: the next start must fold its items in
        although the run has a report, or a version number would be given out twice."""
        items = self.run.layout.items_dir(self.run.run_id)
        try:
            items.mkdir(parents=True, exist_ok=True)
            (items / UNCOMMITTED_MARK).touch()
        except OSError as exc:
            self.run.log_write_failure(logger, "Could not mark the state uncommitted", exc)
            self.stats.inc_value("run/end_errors/uncommitted_mark")

    def _update_catalog(self) -> None:
        """Add the run's new items to catalog.sqlite; it can always be rebuilt from them."""
        try:
            added = update_catalog(self.run.layout.root, self.run.run_id)
        except Exception as exc:  # noqa: BLE001 - the items are safe; the report is written
            self.run.log_write_failure(logger, "Could not update the catalogue", exc)
            self.stats.inc_value("run/end_errors/catalog")
            return
        self.stats.inc_value("catalog/articles_added", added.articles)
        self.stats.inc_value("catalog/sections_added", added.sections)

    def _rebuild_index(self) -> None:
        layout = self.run.layout
        if self.run.write_failed is not None and not layout.warc_dir.is_dir():
            # A disk full before the first WARC: an empty warc/ and index still verify.
            with contextlib.suppress(OSError):
                layout.warc_dir.mkdir(parents=True)
        if not layout.warc_dir.is_dir():
            return
        try:
            # Merged with this run's files' lines (archive/merge.py), not rebuilt.
            update = update_index(layout, checkpoint=killpoints.reached, keep_pending=bool(
                self.run.write_failed or self.stats.get_value("run/end_errors/state")))
            if update.lines is not None:
                self.run.summary.index_lines = update.lines
            refresh_collections(layout.root, update.merged)  # a running replay sees them
        except Exception as exc:  # noqa: BLE001 - the old index stays in place, whole
            # Whatever broke the index, the report is still written and the run fails.
            self.run.log_write_failure(logger, f"Could not rebuild {layout.index_path}", exc)
            self.stats.inc_value("run/end_errors/index")

    def _write_report(self, reason: str) -> Path | None:
        report = build_report(self.run, self.stats.get_stats(), reason)
        path = self.run.layout.report_path(self.run.run_id)
        layout = self.run.layout
        send_alerts = (judge_run(self.crawler, report, layout.items_dir(self.run.run_id),
                                 layout.reports_dir, path)
                       if self.crawler is not None else lambda: None)
        try:
            write_json_atomic(path, report)
        except Exception as exc:  # noqa: BLE001
            self.stats.inc_value("run/end_errors/report")  # no temporary file is left
            self.run.log_write_failure(logger, f"Could not write the report {path}", exc)
            send_alerts()
            return None
        logger.info("Run %s finished (%s); report: %s", self.run.run_id, reason, path)
        note_full_sweep(layout.state_dir, report)  # after its report: a durable sweep
        send_alerts()
        self._note_delivery(report, path)
        return path

    def _note_delivery(self, report: dict[str, Any], path: Path) -> None:
        """The alerts go out after the report is written (they name it): what became of them
        is added to its health section, so a dead webhook shows where the operator looks."""
        prefix = "health/alerts/"
        delivery = {key.removeprefix(prefix): value
                    for key, value in self.stats.get_stats().items() if key.startswith(prefix)}
        if not delivery or not isinstance(report.get("health"), dict):
            return
        report["health"]["delivery"] = dict(sorted(delivery.items()))
        try:
            write_json_atomic(path, report)
        except Exception as exc:  # noqa: BLE001 - the report as first written stays whole
            logger.warning("Could not add the alerts' delivery to %s: %s", path, exc)
            self.stats.inc_value("health/alerts/delivery_not_reported")
