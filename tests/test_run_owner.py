"""crawler/run/owner.py: one object opens a run, in one order, before any component asks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from crawler.run import owner as owner_mod
from crawler.run.context import ArchiveLayout, RunContext
from crawler.run.owner import ArchiveRun, run_of


def context(root: Path) -> RunContext:
    return RunContext("20260101T000000Z", ArchiveLayout(root), datetime(2026, 1, 1, tzinfo=UTC))


def test_the_run_opens_in_the_documented_order(tmp_path, monkeypatch):
    """recover, state, catch up, schedule, deferrals, work log; closed in reverse."""
    opened: list[str] = []
    (tmp_path / "warc").mkdir()

    class State:
        def __init__(self, path):
            opened.append("state")

        def catch_up(self, warc_dir, items_root):
            opened.append("catch up")
            return {}

        def close(self):
            opened.append("close state")

    class Log:
        def __init__(self, path):
            opened.append("work log")

        def close(self):
            opened.append("close work log")

    monkeypatch.setattr(owner_mod, "recover_open_files",
                        lambda warc_dir: opened.append("recover") or [])
    monkeypatch.setattr(owner_mod, "CaptureState", State)
    monkeypatch.setattr(owner_mod.RecheckSchedule, "open",
                        classmethod(lambda cls, *args: opened.append("schedule")))
    monkeypatch.setattr(owner_mod, "Deferrals", lambda crawler: opened.append("deferrals"))
    monkeypatch.setattr(owner_mod, "InflightLog", Log)

    settings = Settings({"INCREMENTAL_ENABLED": True, "JOBDIR": str(tmp_path / "job" / "s")})
    run = ArchiveRun(context(tmp_path), settings, crawler=object())  # type: ignore[arg-type]
    run.open()
    assert opened == ["recover", "state", "catch up", "schedule", "deferrals", "work log"]

    del opened[:]
    for _name, close in run.closing_steps():  # after the WARC writer (crawler/run/end.py)
        close()
    assert opened == ["close work log", "close state"]


def test_a_debugging_command_makes_no_run(tmp_path):
    run = ArchiveRun(context(tmp_path / "archive"), Settings({"ARCHIVE_READ_ONLY": True,
                                                               "JOBDIR": str(tmp_path / "j")}))
    run.open()
    assert (run.state, run.schedule, run.context.inflight) == (None, None, None)
    assert not (tmp_path / "archive").exists() and not (tmp_path / "j").exists()


def test_a_state_that_cannot_be_opened_leaves_the_run_without_one(tmp_path):
    """A full disk (here: ``state/`` is a file) is for the WARC capture to stop the run on."""
    (tmp_path / "state").write_text("not a directory")
    run = ArchiveRun(context(tmp_path), Settings({"INCREMENTAL_ENABLED": True}))
    run.open()
    assert run.state is None and run.schedule is None
    assert isinstance(run.context.state_error, OSError)


def test_every_component_takes_the_one_run_of_the_crawler(tmp_path):
    from pipelines.jsonl import JsonLinesExportPipeline
    from spiders.sznews import SznewsSpider

    addons = get_project_settings().getdict("ADDONS")
    crawler = get_crawler(SznewsSpider, {"ARCHIVE_DIR": str(tmp_path), "ADDONS": addons})
    run = run_of(crawler)
    try:
        assert run is crawler.get_addon(ArchiveRun)
        assert run.state is not None and run.schedule is not None  # opened before any asks
        assert JsonLinesExportPipeline.from_crawler(crawler).state is run.state
        crawler.spider = SznewsSpider.from_crawler(crawler)
        assert crawler.spider.run is run.context
    finally:
        run.close_state()


def test_without_the_add_on_a_component_says_what_is_missing(tmp_path):
    crawler = get_crawler(settings_dict={"ARCHIVE_DIR": str(tmp_path)})
    with pytest.raises(RuntimeError, match="ADDONS"):
        run_of(crawler)


def test_the_start_removes_what_a_killed_process_left(tmp_path):
    """Temporaries of a replace (``.NAME.XXXX.tmp``) and of the index merge or rebuild; a
    fresh one may belong to a manual ``python -m archive`` command running now: kept."""
    import os
    import time

    old = [tmp_path / ".index.cdxj.k3j2.tmp", tmp_path / ".catalog.sqlite.x1.tmp",
           tmp_path / "reports" / ".20260101T000000Z.json.ab.tmp"]
    work = [tmp_path / ".merge-q8w", tmp_path / ".index-77z"]
    fresh = tmp_path / ".index.cdxj.now1.tmp"
    (tmp_path / "reports").mkdir()
    for path in old + [fresh]:
        path.write_text("partial")
    for folder in work:
        folder.mkdir()
        (folder / "part-0").write_text("lines")
    keep = [tmp_path / "index.cdxj", tmp_path / "reports" / "20260101T000000Z.json",
            tmp_path / ".lock"]
    for path in keep:
        path.write_text("{}")
    two_days_ago = time.time() - 2 * 86400
    for path in old + work + keep:
        os.utime(path, (two_days_ago, two_days_ago))

    run = ArchiveRun(context(tmp_path), Settings({"INCREMENTAL_ENABLED": False}))
    run.open()
    run.close_state()
    assert not any(p.exists() for p in old + work)
    assert fresh.exists() and all(p.exists() for p in keep)
