"""`make demo` (scripts/demo.py): the console shows progress and the summary; the log is a file."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from tests.crawling import ROOT, crawl_env

spec = importlib.util.spec_from_file_location("demo", ROOT / "scripts" / "demo.py")
assert spec is not None and spec.loader is not None
demo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo)

LOG = """\
2026-11-30 12:46:10 [scrapy.middleware] INFO: Enabled extensions:
['scrapy.extensions.corestats.CoreStats',
2026-11-30 12:46:11 [progress] INFO: pages 67  articles 27  queue 79  60.5 pages/s  errors 0
2026-11-30 12:46:12 [crawler.capture.warc] WARNING: Recovered an unfinished WARC
2026-11-30 12:46:13 [scrapy.core.engine] INFO: Spider closed (finished)
2026-11-30 12:46:13 [progress] INFO: pages 99  articles"""  # cut mid-line by the exit


def test_the_console_gets_progress_warnings_and_errors_only(tmp_path: Path, capsys) -> None:
    log = tmp_path / "crawl.log"
    log.write_text(LOG, "utf-8")
    crawl = subprocess.Popen(["true"])  # an exited crawl: follow() reads the log to its end
    assert demo.follow(log, crawl) == 0
    assert capsys.readouterr().out.splitlines() == [
        "  pages 67  articles 27  queue 79  60.5 pages/s  errors 0",
        "2026-11-30 12:46:12 [crawler.capture.warc] WARNING: Recovered an unfinished WARC",
        "  pages 99  articles",
    ]


def test_make_demo_prints_the_summary_not_scrapys_log(tmp_path: Path) -> None:
    archive = tmp_path / "data"
    proc = subprocess.run(
        [sys.executable, "scripts/demo.py", "--articles", "30", "--archive-dir", str(archive)],
        cwd=ROOT, env=crawl_env(None), capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    console = proc.stdout + proc.stderr
    assert "30 articles (the replica has 30)" in console
    assert ".venv/bin/python -m archive replay" in console
    assert f"crawl log    {archive / 'crawl.log'}" in console
    # The health, in the progress lines and the summary; the run history page, written.
    assert "  health: ok" in console and "\nHealth: ok.\n" in console
    assert f"run history  {archive / 'history.html'}" in console
    assert (archive / "history.html").read_text("utf-8").count("<svg") == 7
    assert "Enabled downloader middlewares" not in console
    assert " INFO: " not in console
    log = (archive / "crawl.log").read_text("utf-8")
    assert "Enabled downloader middlewares" in log and "Spider closed (finished)" in log
