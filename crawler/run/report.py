"""A run's report: what it did, from its stats and summary, in small stable keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from time import monotonic
from typing import Any

from archive.durable import replaced_atomically
from archive.layout import ITEM_FILES
from crawler.run.context import RunContext
from crawler.run.outcome import run_failure
from crawler.state.forecast import due_forecast


def under(stats: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The stats named ``prefix…``, keyed by the rest of their name, sorted."""
    return {
        key.removeprefix(prefix): value
        for key, value in sorted(stats.items())
        if key.startswith(prefix)
    }


def exported_versions(items_dir: Path) -> dict[str, int]:
    """New and changed articles of a run, counted in its item file: a run resumed after a
    kill has stats of its last process only, but one item file for all of them."""
    counts = {"new": 0, "changed": 0}
    try:
        fh = (items_dir / ITEM_FILES["articles"]).open("rb")
    except FileNotFoundError:
        return counts
    with fh:
        for line in fh:
            try:
                version = json.loads(line).get("version") or 1
            except (ValueError, AttributeError):
                continue
            counts["new" if version == 1 else "changed"] += 1
    return counts


def incremental_section(ctx: RunContext, stats: dict[str, Any]) -> dict[str, Any]:
    """What the recheck schedule did this run, and what it has in store."""
    clock = stats.get("incremental/clock")
    now = datetime.fromisoformat(clock).timestamp() if clock else None
    forecast = None
    if now is not None:
        forecast = due_forecast(ctx.layout.state_db, now)
    return {
        **under(stats, "incremental/articles/"),
        **exported_versions(ctx.layout.items_dir(ctx.run_id)),
        "full_sweep": bool(stats.get("incremental/full_sweep")),
        "next_full_sweep": stats.get("incremental/next_full_sweep"),
        "list_pages": under(stats, "incremental/list_pages/"),
        "requisites": under(stats, "incremental/requisites/"),
        "due_next_days": forecast,
    }


def build_report(ctx: RunContext, stats: dict[str, Any], reason: str) -> dict[str, Any]:
    """What the run did, from its stats: small, stable keys a scheduler can read."""
    by_status = under(stats, "downloader/response_status_count/")
    errors = under(stats, "downloader/exception_type_count/")
    return {
        "run_id": ctx.run_id,
        "archive_dir": str(ctx.layout.root),
        "started": ctx.started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "finished": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_seconds": round(monotonic() - ctx.started_monotonic, 3),
        "finish_reason": reason,
        "clock": stats.get("incremental/clock"),
        "failed": run_failure({**stats, "finish_reason": reason}),
        "resumed": ctx.resumed,
        "requests": stats.get("downloader/request_count", 0),
        "responses": stats.get("downloader/response_count", 0),
        "responses_by_status": by_status,
        "articles": stats.get("items/exported/articles", 0),
        "sections": stats.get("items/exported/sections", 0),
        "warc": {
            "records": under(stats, "warc/records/"),
            "bytes": stats.get("warc/bytes", 0),
            "files": stats.get("warc/files", 0),
            "skipped": under(stats, "warc/skipped/"),
        },
        "errors": {
            "downloader": errors,
            "log_errors": stats.get("log_count/ERROR", 0),
            # Scrapy counts every exception twice: by type and in "count".
            "spider_exceptions": stats.get("spider_exceptions/count", 0),
        },
        "dedup": under(stats, "dedup/"),
        "maintenance_unresolved": ctx.summary.maintenance_unresolved,
        "not_site_pages": ctx.summary.not_site_pages,
        "not_site_unresolved": ctx.summary.not_site_unresolved,
        "failures": under(stats, "sznews/failed/"),
        "dropped": ctx.summary.dropped,
        "articles_with_problems": stats.get("sznews/articles/with_problems", 0),
        "incremental": incremental_section(ctx, stats),
        "failed_fetches": ctx.summary.failed_fetches,
        "index_lines": ctx.summary.index_lines,
        "stats": {k: _plain(v) for k, v in sorted(stats.items())},
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    with replaced_atomically(path) as tmp, tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
