"""The last full sweep is one small state file, not a pass over every report (issue 21)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from crawler.incremental.recheck import SWEEP_FILE, last_full_sweep, note_full_sweep


def report(run_id: str, clock: str, *, sweep: bool, finished: bool = True) -> dict:
    return {"run_id": run_id, "clock": clock, "finish_reason": "finished" if finished else
            "shutdown", "incremental": {"full_sweep": sweep}}


def write_reports(reports: Path, *items: dict) -> None:
    reports.mkdir(parents=True, exist_ok=True)
    for item in items:
        (reports / f"{item['run_id']}.json").write_text(json.dumps(item), "utf-8")


def ts(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def test_an_older_archive_is_read_once_then_the_state_file_answers(tmp_path: Path) -> None:
    reports, state = tmp_path / "reports", tmp_path / "state"
    write_reports(
        reports,
        report("20260101T000000Z", "2026-01-01T00:00:00+00:00", sweep=True),
        report("20260103T000000Z", "2026-01-03T00:00:00+00:00", sweep=True, finished=False),
        report("20260104T000000Z", "2026-01-04T00:00:00+00:00", sweep=False),
    )
    assert last_full_sweep(reports, state) == ts("2026-01-01T00:00:00+00:00")
    assert json.loads((state / SWEEP_FILE).read_text("utf-8")) == {
        "clock": ts("2026-01-01T00:00:00+00:00")}
    # From now on the reports are not read: a report they would find is not seen.
    write_reports(reports, report("20260105T000000Z", "2026-01-05T00:00:00+00:00",
                                  sweep=True))
    for path in reports.iterdir():
        path.write_text("not json", "utf-8")
    assert last_full_sweep(reports, state) == ts("2026-01-01T00:00:00+00:00")


def test_an_archive_with_no_sweep_yet_remembers_that_too(tmp_path: Path) -> None:
    reports, state = tmp_path / "reports", tmp_path / "state"
    write_reports(reports, report("20260104T000000Z", "2026-01-04T00:00:00+00:00",
                                  sweep=False))
    assert last_full_sweep(reports, state) is None
    (reports / "20260104T000000Z.json").write_text(json.dumps(report(
        "20260104T000000Z", "2026-01-04T00:00:00+00:00", sweep=True)), "utf-8")
    assert last_full_sweep(reports, state) is None  # the state file, not the reports


def test_a_finished_sweep_is_noted_at_its_end_and_nothing_else_is(tmp_path: Path) -> None:
    reports, state = tmp_path / "reports", tmp_path / "state"
    note_full_sweep(state, report("20260201T000000Z", "2026-02-01T00:00:00+00:00",
                                  sweep=True))
    note_full_sweep(state, report("20260202T000000Z", "2026-02-02T00:00:00+00:00",
                                  sweep=True, finished=False))
    note_full_sweep(state, report("20260203T000000Z", "2026-02-03T00:00:00+00:00",
                                  sweep=False))
    assert last_full_sweep(reports, state) == ts("2026-02-01T00:00:00+00:00")
    assert not reports.exists()


def test_an_unreadable_state_file_falls_back_to_the_reports(tmp_path: Path) -> None:
    reports, state = tmp_path / "reports", tmp_path / "state"
    state.mkdir()
    (state / SWEEP_FILE).write_text("{broken", "utf-8")
    write_reports(reports, report("20260101T000000Z", "2026-01-01T00:00:00+00:00",
                                  sweep=True))
    assert last_full_sweep(reports, state) == ts("2026-01-01T00:00:00+00:00")
