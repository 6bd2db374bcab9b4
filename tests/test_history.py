"""`python -m archive history`: one self-contained page of the archive's runs, checked in
Chromium: nothing requested beyond the file, no console error, one point per run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from archive.history.runs import SERIES, read_runs
from tests.crawling import ROOT

RUNS = 6


def fake_report(day: int, status: str = "ok") -> dict[str, Any]:
    alerts = [] if status == "ok" else [{"check": "not_site_pages", "severity": status,
                                         "message": "m <b>", "examples": []}]
    return {"run_id": f"202501{day:02d}T150000Z", "clock": f"2025-01-{day:02d}T15:00:00+00:00",
            "requests": 100 + day, "warc": {"bytes": 1000 * day},
            "incremental": {"new": day, "changed": 1}, "failures": {"http_404": 1},
            "failed_fetches": [], "dedup": {"maintenance/seen": 0},
            "not_site_pages": ["u"] * (status != "ok"), "quality": {"text_share": 0.1},
            "duration_seconds": 12.5, "health": {"status": status, "alerts": alerts}}


def archive_with_runs(tmp_path: Path, n: int = RUNS) -> Path:
    reports = tmp_path / "archive" / "reports"
    reports.mkdir(parents=True)
    for day in range(1, n + 1):
        status = "failed" if day == 3 else "warning" if day == 4 else "ok"
        (reports / f"202501{day:02d}T150000Z.json").write_text(
            json.dumps(fake_report(day, status)), "utf-8")
    # A report from before health checks and quality: gaps, not a crash.
    (reports / "20241231T150000Z.json").write_text(json.dumps(
        {"run_id": "20241231T150000Z", "started": "2024-12-31T15:00:00Z", "requests": 5}))
    return tmp_path / "archive"


def history_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive", "history", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_runs_are_read_with_gaps(tmp_path: Path) -> None:
    runs = read_runs(archive_with_runs(tmp_path) / "reports")
    assert [r.status for r in runs] == ["unjudged", "ok", "ok", "failed", "warning", "ok", "ok"]
    assert runs[0].values["Requests/requests"] == 5.0
    assert runs[0].values["Share read by the text conventions/text conventions"] is None
    assert [r.run_id for r in read_runs(tmp_path / "archive" / "reports", last=2)] == [
        "20250105T150000Z", "20250106T150000Z"]


def test_a_report_without_times_is_placed_by_its_run_id(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "20250102T030405Z.json").write_text(json.dumps({"run_id": "20250102T030405Z"}))
    (reports / "nightly.json").write_text(json.dumps({"run_id": "nightly", "clock": 5}))
    (reports / "odd.json").write_text("[1, 2]")  # JSON, but no report: skipped
    runs = {r.run_id: r for r in read_runs(reports)}
    assert set(runs) == {"20250102T030405Z", "nightly"}
    assert runs["20250102T030405Z"].when.isoformat() == "2025-01-02T03:04:05+00:00"
    assert runs["nightly"].when.year >= 2025  # a run id set by hand: the file's time


def test_cli_writes_one_self_contained_page(tmp_path: Path) -> None:
    archive = archive_with_runs(tmp_path)
    out = tmp_path / "usb" / "runs.html"
    proc = history_cli(str(archive), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out)
    text = out.read_text("utf-8")
    assert "http://" not in text.replace("http://www.w3.org/", "")  # SVG namespaces only
    assert "<script" not in text and "src=" not in text
    assert text.count("<svg") == len(SERIES)
    assert "m &lt;b&gt;" in text
    assert history_cli(str(tmp_path / "nothing")).returncode == 2
    proc = history_cli(str(archive))
    assert proc.returncode == 0 and (archive / "history.html").is_file()


@pytest.mark.replay
def test_page_in_chromium(tmp_path: Path) -> None:
    from archive.qa.browser import find_chromium

    python = ROOT / ".venv-replay" / "bin" / "python"
    if not python.exists():
        pytest.skip(".venv-replay missing (make replay-env)")
    archive = archive_with_runs(tmp_path)
    out = tmp_path / "history.html"
    assert history_cli(str(archive), "-o", str(out)).returncode == 0
    proc = subprocess.run([str(python), "-P", str(ROOT / "tests" / "history_browser.py"),
                           str(out), find_chromium()], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    seen = json.loads(proc.stdout)
    assert seen["requests"] == [] and seen["console_errors"] == [] and seen["page_errors"] == []
    runs = RUNS + 1
    charts = {c["chart"]: c["series"] for c in seen["charts"]}
    assert set(charts) == set(SERIES)
    # One point per run in each series; the old report has only requests (a gap elsewhere).
    for name, series in charts.items():
        assert len(series) == len(SERIES[name])
        expected = runs if name in ("Requests",) else RUNS
        assert series == [expected] * len(series), (name, series)
    assert seen["rows"] == runs
    assert seen["links"][0].endswith("/archive/reports/20250106T150000Z.json")
