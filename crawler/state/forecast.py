"""What the schedule holds for the next days, read from a closed state database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from crawler.incremental.policy import DAY


def due_forecast(path: Path, now: float, days: int = 7) -> list[int] | None:
    """How many scheduled URLs fall due on each of the next ``days`` days, read from a closed
    state database (the run report is written after the state is closed)."""
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        counts = []
        for day in range(days):
            end = now + (day + 1) * DAY
            if day == 0:
                row = db.execute("SELECT COUNT(*) FROM schedule WHERE next_due < ?", (end,))
            else:
                row = db.execute(
                    "SELECT COUNT(*) FROM schedule WHERE next_due >= ? AND next_due < ?",
                    (end - DAY, end),
                )
            counts.append(row.fetchone()[0])
        return counts
    except sqlite3.Error:
        return None
    finally:
        db.close()
