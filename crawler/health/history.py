"""The previous runs' reports, as a baseline: the newest few, never all of them.

Report files are named by run id (a UTC timestamp), so the newest N are the last N names in
sorted order: listing the directory is all it costs to find them, whatever the archive's age.
"""

from __future__ import annotations

import json
import logging
from math import sqrt
from pathlib import Path
from statistics import median
from typing import Any

logger = logging.getLogger(__name__)


def previous_reports(reports_dir: Path, run_id: str, count: int) -> list[dict[str, Any]]:
    """The ``count`` newest reports before ``run_id``, oldest first; unreadable ones skipped."""
    if count <= 0:
        return []
    try:
        names = sorted(p.name for p in reports_dir.iterdir()
                       if p.suffix == ".json" and p.stem < run_id)
    except FileNotFoundError:
        return []
    out = []
    for name in names[-count:]:
        try:
            out.append(json.loads((reports_dir / name).read_text("utf-8")))
        except (OSError, ValueError) as exc:
            logger.warning("Health baseline: skipping unreadable report %s: %s", name, exc)
    return out


def usable(report: dict[str, Any]) -> bool:
    """A run whose numbers say what the site is like: not a failed run."""
    health = report.get("health") or {}
    return not report.get("failed") and health.get("status") != "failed"


def spread(values: list[float]) -> tuple[float, float]:
    """Median and median absolute deviation: robust to the one odd run in the baseline."""
    mid = median(values)
    return mid, median(abs(v - mid) for v in values)


def sampling(share: float, n: int | None) -> float:
    """The standard error of a share measured on ``n`` items: what chance alone moves it."""
    return sqrt(share * (1 - share) / n) if n else 0.0


def learned_upper(values: list[float], k: float, minimum_rise: float,
                  n: int | None = None) -> float:
    """Above this is unusual: the median plus k spreads (of the runs before, and of a share
    measured on only ``n`` items), at least ``minimum_rise`` above."""
    mid, mad = spread(values)
    return mid + max(k * mad, k * sampling(mid, n), minimum_rise)


def learned_lower(values: list[float], k: float, minimum_drop: float,
                  n: int | None = None, share: float | None = None) -> float:
    """Below this is unusual. The sampling error is taken at the usual share and at this
    run's ``share``, the larger: a usual 100% has none, yet 4 of 6 is no collapse."""
    mid, mad = spread(values)
    error = max(sampling(mid, n), sampling(share, n) if share is not None else 0.0)
    return mid - max(k * mad, k * error, minimum_drop)
