"""Finish a run: close what components registered, rebuild the index, write the report."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from time import monotonic
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from archive.index import write_cdxj_index
from crawler.diskfull import release_reserve
from crawler.run import RunContext, run_context
from crawler.run_outcome import run_failure
from crawler.state import due_forecast

logger = logging.getLogger(__name__)


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
        fh = (items_dir / "articles.jsonl").open("rb")
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
    """What the revisit schedule did this run, and what it has in store."""
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
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class RunReport:
    def __init__(self, ctx: RunContext, stats: Any) -> None:
        self.ctx = ctx
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunReport:
        if crawler.settings.getbool("ARCHIVE_READ_ONLY"):
            raise NotConfigured("a debugging command makes no run: no index, no report")
        ext = cls(run_context(crawler), crawler.stats)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    async def spider_closed(self, reason: str) -> None:
        # Closing files, indexing and writing are blocking I/O: off the event loop.
        await maybe_deferred_to_future(deferToThread(self.finish, reason))

    def finish(self, reason: str) -> Path | None:
        for name, finalizer in self.ctx.finalizers:
            try:
                finalizer()
            except Exception as exc:  # noqa: BLE001 - the next steps run whatever failed
                self.ctx.log_write_failure(logger, f"Closing {name} failed", exc)
                self.stats.inc_value("run/finalizer_errors")
                self.stats.inc_value(f"run/end_errors/{name}")
        # The room set aside at the start is for the index and report, on a disk that filled
        # up; the finalizers before may fail there (a state commit is lost as after a kill).
        release_reserve(self.ctx.layout.state_dir)
        warc_dir = self.ctx.layout.warc_dir
        if self.ctx.write_failed is not None and not warc_dir.is_dir():
            # A disk full before the first WARC: an empty warc/ and index still verify.
            with contextlib.suppress(OSError):
                warc_dir.mkdir(parents=True)
        if warc_dir.is_dir():
            warcs = self.ctx.layout.finished_warcs()
            try:
                self.ctx.summary.index_lines = write_cdxj_index(
                    warcs, self.ctx.layout.index_path
                )
            except Exception as exc:  # noqa: BLE001 - the old index stays in place, whole
                # Whatever broke the index, the report is still written and the run fails.
                self.ctx.log_write_failure(
                    logger, f"Could not rebuild {self.ctx.layout.index_path}", exc
                )
                self.stats.inc_value("run/end_errors/index")
        report = build_report(self.ctx, self.stats.get_stats(), reason)
        path = self.ctx.layout.report_path(self.ctx.run_id)
        try:
            write_json_atomic(path, report)
        except Exception as exc:  # noqa: BLE001
            self.stats.inc_value("run/end_errors/report")
            path.with_suffix(path.suffix + ".tmp").unlink(missing_ok=True)
            self.ctx.log_write_failure(logger, f"Could not write the report {path}", exc)
            return None
        logger.info("Run %s finished (%s); report: %s", self.ctx.run_id, reason, path)
        return path
