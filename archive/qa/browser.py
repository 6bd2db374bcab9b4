"""The browser half, from this side: finding Chromium, and running the driver
(``archive/qa/driver.py``) in the replay venv, judging each page as its line arrives.

Chromium is Debian's (`make replay-env` installs it), never a Playwright browser download.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from archive.qa.judge import judge
from archive.qa.pages import PageJob, QaSetupError
from archive.qa.report import Progress
from archive.replay.stopping import stop_process

CHROMIUM_ENV = "SZNEWS_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser")
DRIVER = Path(__file__).resolve().with_name("driver.py")


def find_chromium() -> str:
    """$SZNEWS_CHROMIUM, else Debian's chromium on PATH; never Playwright's own download.

    Playwright's browser download cannot be reached from our machines, and a silent
    fallback to one that happens to be cached would test a different browser.
    """
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        if os.path.isfile(configured) and os.access(configured, os.X_OK):
            return configured
        raise QaSetupError(f"${CHROMIUM_ENV}={configured} is not an executable file")
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise QaSetupError(
        "Chromium not found (looked for `chromium` and `chromium-browser` on PATH): run "
        "`make replay-env`, which installs Debian's chromium and CJK fonts through apt, or "
        f"point {CHROMIUM_ENV} at a Chromium executable"
    )


def has_cjk_font() -> bool | None:
    """Whether fontconfig knows a Chinese font (None: cannot tell). Screenshots need one."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True,
                             timeout=60, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(out.strip())


def drive(python: Path, config: dict[str, Any], jobs: list[PageJob], log_path: Path,
          env: dict[str, str], progress: Progress) -> list[dict[str, Any]]:
    """Run the driver, judging each page as its line arrives (for the progress display)."""
    rows: dict[int, dict[str, Any]] = {}
    bad = 0
    with open(log_path, "wb") as log_fh:
        # -P: the driver's directory is not put on sys.path, so that no module of this
        # package can stand in for one Playwright imports.
        proc = subprocess.Popen(
            [str(python), "-P", str(DRIVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=log_fh, env=env, text=True, encoding="utf-8",
        )
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(json.dumps(config, ensure_ascii=False))
            proc.stdin.close()
            for line in proc.stdout:
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    continue  # not ours (a library printing to stdout): not a page
                if event["event"] == "error":
                    raise QaSetupError(event["message"])
                if event["event"] != "page":
                    continue
                index = int(event["id"])
                rows[index] = judge(jobs[index], event, config["wayback"])
                bad += not rows[index]["whole"]
                progress.update(len(rows), bad)
            status = proc.wait()
        finally:
            stop_process(proc, 30)
    if len(rows) != len(jobs):
        tail = log_path.read_text("utf-8", errors="replace")[-3000:]
        raise QaSetupError(f"the browser driver stopped after {len(rows)} of {len(jobs)} "
                           f"pages (exit status {status}):\n{tail}")
    return [rows[i] for i in range(len(jobs))]
