"""Whether a run failed, from its stats: shared by the report and the crawl's exit code."""

from __future__ import annotations

from typing import Any

# run/end_errors/<step>: a step of the run's end (closing, index, report) that failed.
_END_ERRORS = "run/end_errors/"


def run_failure(stats: dict[str, Any]) -> str | None:
    """Why the run counts as failed, or None.

    A run that fetched none of the site's hub pages (home, channels, columns) archived
    nothing a reader could use: the site was unreachable or in maintenance throughout.
    """
    if stats.get("run/write_error"):  # the first failed write to ARCHIVE_DIR (run/diskfull.py)
        return str(stats["run/write_error"])
    reason = stats.get("finish_reason")
    if reason not in (None, "finished"):
        return f"it ended early ({reason})"
    ended_badly = sorted(key.rsplit("/", 1)[1] for key in stats if key.startswith(_END_ERRORS))
    if ended_badly:
        return f"the end of the run failed ({', '.join(ended_badly)})"
    if not stats.get("sznews/hub_pages"):
        if stats.get("dedup/maintenance/seen"):
            return "every page answered with the maintenance notice"
        return "no page of the site could be fetched"
    # Set at the run's end by crawler/health/judge.py when a health check failed.
    return stats.get("health/failed") or None
