"""A run's numbers for the history page, read from its report (``reports/<run_id>.json``).

Reports of every age are read: a key an old report lacks is None (a gap in its chart).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


@dataclass
class Run:
    run_id: str
    report: Path
    when: datetime
    status: str  # ok, warning, failed, or "unjudged" (a report from before health checks)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    values: dict[str, float | None] = field(default_factory=dict)


SERIES = {
    # chart name -> {series label: how to read it from a report}
    "Requests": {"requests": lambda r: r.get("requests")},
    "Bytes written to WARC": {"bytes": lambda r: (r.get("warc") or {}).get("bytes")},
    "Articles": {"new": lambda r: (r.get("incremental") or {}).get("new"),
                 "changed": lambda r: (r.get("incremental") or {}).get("changed")},
    "Failures": {"failures": lambda r: _failures(r)},
    "Pages kept out": {
        "maintenance": lambda r: None if "dedup" not in r else r["dedup"].get(
            "maintenance/seen", 0),
        "not the site's": lambda r: None if "not_site_pages" not in r else len(
            r["not_site_pages"])},
    "Share read by the text conventions": {
        "text conventions": lambda r: (r.get("quality") or {}).get("text_share")},
    "Duration (s)": {"duration": lambda r: r.get("duration_seconds")},
}


def _failures(report: dict[str, Any]) -> int | None:
    if "failures" not in report and "failed_fetches" not in report:
        return None
    failures = report.get("failures") or {}
    return sum(v for v in failures.values() if isinstance(v, int | float)) + len(
        report.get("failed_fetches") or [])


def _when(report: dict[str, Any], run_id: str, path: Path) -> datetime:
    for stamp in (report.get("clock"), report.get("started")):
        if isinstance(stamp, str) and stamp:
            try:
                return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            except ValueError:
                pass
    try:  # a run id is when the run started ("20260101T020304Z"), unless set by hand
        return datetime.strptime(str(run_id)[:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _status(report: dict[str, Any]) -> str:
    health = report.get("health")
    if health:
        return str(health.get("status"))
    return "failed" if report.get("failed") else "unjudged"


def read_runs(reports_dir: Path, last: int | None = None) -> list[Run]:
    """The runs of ``reports_dir``, oldest first; ``last``: only the newest so many."""
    names = sorted(p.name for p in reports_dir.glob("*.json"))
    if last is not None:
        names = names[-last:]
    runs = []
    for name in names:
        path = reports_dir / name
        try:
            report = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            logger.warning("Skipping unreadable report %s: %s", path, exc)
            continue
        if not isinstance(report, dict):
            logger.warning("Skipping %s: not a run's report (no JSON object)", path)
            continue
        run_id = report.get("run_id") or path.stem
        values = {f"{chart}/{label}": _number(read(report))
                  for chart, series in SERIES.items() for label, read in series.items()}
        runs.append(Run(run_id, path, _when(report, run_id, path), _status(report),
                        list((report.get("health") or {}).get("alerts") or []), values))
    return runs


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None
