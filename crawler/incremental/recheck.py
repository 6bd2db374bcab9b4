"""Scheduled runs that cost what changed: what is asked for again, and how.

Hub pages (home, channels, topics, a column's first list page) are how new articles are
found, so they are fetched every run; a column's later list pages are walked only as far as
they show something new (``ListWalk``), except on a full sweep. An archived article or
requisite is asked for again only when the recheck schedule says it is due
(``crawler/incremental/policy.py``), and then with ``If-None-Match`` / ``If-Modified-Since``: a 304
becomes a ``server-not-modified`` revisit and no item.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.durable import replaced_atomically
from crawler.incremental.policy import (
    DAY,
    ScheduleConfig,
    first_entry,
    is_due,
    next_entry,
)

if TYPE_CHECKING:
    from crawler.state.store import CaptureState

logger = logging.getLogger(__name__)

# A request the spider needs in full whatever the state says (later pages of a changed article).
FULL_FETCH = "incremental/full"


def run_clock(settings: Any, started: datetime) -> float:
    """The run's "now" in epoch seconds: when it started, or ``ARCHIVE_NOW`` (ISO 8601) for a
    run placed on a simulated day (the system clock, e.g. under faketime, works as well)."""
    value = settings.get("ARCHIVE_NOW")
    if not value:
        return started.timestamp()
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"ARCHIVE_NOW must be an ISO 8601 time, got {value!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _iso(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def published_time(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return None


# When the newest finished full sweep ran (state/full_sweep.json): one small file read at
# the start, so that finding it never costs a pass over the reports of years of runs.
SWEEP_FILE = "full_sweep.json"


def last_full_sweep(reports_dir: Path, state_dir: Path | None = None) -> float | None:
    """When the newest finished full-sweep run started (its clock).

    From ``state_dir/full_sweep.json``, which each finished sweep's end writes
    (``note_full_sweep``). An archive older than that file has it made once, here, from the
    reports (the durable record of what a run did: a killed sweep has no report and does
    not count), newest first, stopping at the first finished sweep.
    """
    if state_dir is not None:
        try:
            return json.loads((state_dir / SWEEP_FILE).read_text("utf-8")).get("clock")
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError) as exc:
            logger.warning("Could not read %s (%s): the reports tell instead",
                           state_dir / SWEEP_FILE, exc)
    found = _last_full_sweep_in_reports(reports_dir)
    if state_dir is not None:
        _write_sweep(state_dir, found)
    return found


def _last_full_sweep_in_reports(reports_dir: Path) -> float | None:
    if not reports_dir.is_dir():
        return None
    for path in sorted(reports_dir.glob("*.json"), reverse=True):
        try:
            report = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        clock = _sweep_clock(report)
        if clock is not None:
            return clock
    return None


def _sweep_clock(report: dict[str, Any]) -> float | None:
    """The clock of a report's run if it was a finished full sweep, else None."""
    sweep = (report.get("incremental") or {}).get("full_sweep")
    if not sweep or report.get("finish_reason") != "finished":
        return None
    return published_time(report.get("clock")) or published_time(
        (report.get("started") or "").replace("Z", "+00:00")
    )


def note_full_sweep(state_dir: Path, report: dict[str, Any]) -> None:
    """At a run's end, once its report is written: a finished sweep becomes the last one."""
    clock = _sweep_clock(report)
    if clock is not None:
        _write_sweep(state_dir, clock)


def _write_sweep(state_dir: Path, clock: float | None) -> None:
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        with replaced_atomically(state_dir / SWEEP_FILE) as tmp:
            tmp.write_text(json.dumps({"clock": clock}) + "\n", encoding="utf-8")
    except OSError as exc:  # the reports still say it: the next run looks there again
        logger.warning("Could not write %s: %s", state_dir / SWEEP_FILE, exc)


@dataclass
class RecheckSchedule:
    """The recheck schedule of one run: asked before a request is built, told after a check."""

    config: ScheduleConfig
    state: CaptureState
    now: float
    run_id: str
    stats: Any = None
    full_sweep: bool = False
    next_full_sweep: float | None = None

    @classmethod
    def open(cls, settings: Any, state: CaptureState, started: datetime, run_id: str,
             reports_dir: Path, state_dir: Path | None = None) -> RecheckSchedule:
        """This run's schedule (ValueError: a bad INCREMENTAL_* setting); the run's owner
        makes it once, after the state caught up with the disk."""
        config = ScheduleConfig.from_settings(settings)
        now = run_clock(settings, started)
        schedule = cls(config, state, now, run_id)
        last = last_full_sweep(reports_dir, state_dir)
        # Rechecking everything (the policy before the schedule) walks every list too.
        schedule.full_sweep = (
            config.policy == "all" or config.full_sweep or last is None
            or now - last >= config.full_sweep_days * DAY - 0.5 * DAY
        )
        base = now if schedule.full_sweep else last
        schedule.next_full_sweep = (base or now) + config.full_sweep_days * DAY
        return schedule

    def count_into(self, stats: Any) -> None:
        """Count in the crawl's stats from now on (Scrapy makes them after the run's owner)."""
        self.stats = stats
        stats.set_value("incremental/full_sweep", self.full_sweep)
        stats.set_value("incremental/clock", _iso(self.now))
        if self.next_full_sweep is not None:
            stats.set_value("incremental/next_full_sweep", _iso(self.next_full_sweep))

    def _count(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)

    def due(self, url: str) -> bool:
        """Whether an archived URL is asked for again by this run (a new one always is)."""
        entry = self.state.schedule_entry(url)
        return is_due(self.config, entry, self.now, self.run_id)

    def due_urls(self) -> list[str]:
        """Every archived URL this run must ask for again, wherever it is linked from.

        A daily run asks for these whether or not a page it walks links them: an old
        article sits deep in a list that only a full sweep walks.
        """
        if self.config.policy == "all":
            return []  # every page is asked for again as the walk finds it
        return [entry.url for entry in self.state.schedule_entries(self.run_id)
                if is_due(self.config, entry, self.now, self.run_id)]

    def archived(self, url: str) -> bool:
        return self.state.capture(url) is not None or self.state.schedule_entry(url) is not None

    def checked(
        self, url: str, *, changed: bool, published: float | None = None, requisite: bool = False
    ) -> None:
        """An article (page 1) or requisite was checked by this run, with this outcome."""
        entry = self.state.schedule_entry(url)
        if entry is None:
            self._count(f"incremental/{'requisites' if requisite else 'articles'}/scheduled")
            new = first_entry(self.config, url, published, self.now, self.run_id, requisite)
        elif entry.last_run == self.run_id and not changed:
            return  # told twice (a later page and page 1): the first outcome stands
        else:
            if not changed and not requisite:
                self._count("incremental/articles/unchanged")
            self._count(f"incremental/{'requisites' if requisite else 'articles'}/rechecked")
            if published is not None and entry.published is None:
                entry = entry._replace(published=published)
            new = next_entry(self.config, entry, changed, self.now, self.run_id, requisite)
        self.state.record_schedule(new)
