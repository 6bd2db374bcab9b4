"""One qa pass: the pages of an ARCHIVE_DIR (or a WACZ) replayed in pywb and Chromium."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import IO, Any

from archive.layout import ArchiveLayout
from archive.qa.browser import drive, find_chromium, has_cjk_font
from archive.qa.pages import PageJob, QaSetupError, collect_pages, sample_pages
from archive.qa.report import Progress
from archive.qa.unpack import unpack_wacz
from archive.replay.collection import DEFAULT_COLLECTION, prepare_collection
from archive.replay.env import find_replay_venv, offline_env
from archive.replay.urls import replay_url
from archive.replay.wayback import WaybackProcess, start_wayback


def _screenshot_name(index: int, job: PageJob) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", job.target.split("://", 1)[-1]).strip("_")
    return f"{index:04d}-{slug[:100]}.png"


def run_qa(
    archive: Path,
    *,
    sample: int | None = None,
    screenshots: Path | None = None,
    parallel: int = 2,
    timeout: float = 60.0,
    progress: IO[str] | None = None,
    warnings: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Replay an ARCHIVE_DIR's (or a WACZ's) pages in Chromium; one judged row per page."""
    warnings = [] if warnings is None else warnings
    with tempfile.TemporaryDirectory(prefix="sznews-qa-") as tmp:
        work = Path(tmp)
        if archive.is_file():
            archive_dir = work / "wacz"
            pages = unpack_wacz(archive, archive_dir, warnings)
            where = f"{archive}'s pages/pages.jsonl"
        else:
            archive_dir = archive
            pages = collect_pages(archive_dir, warnings)
            where = str(ArchiveLayout(archive_dir).items_root)
        jobs = sample_pages(pages, sample)
        if not jobs:
            raise QaSetupError(f"no pages with a capture in {where}: nothing to check")
        chromium = find_chromium()
        python = find_replay_venv() / "bin" / "python"
        if screenshots is not None:
            screenshots.mkdir(parents=True, exist_ok=True)
            if has_cjk_font() is False:
                warnings.append("fontconfig knows no Chinese font: screenshots will show "
                                "boxes (`make replay-env` installs fonts-noto-cjk)")
        root = work / "replay"
        # Unframed, so that an mp_ page opened at the top level stays there (see
        # prepare_collection) and its requests and text are the main frame's.
        prepare_collection(archive_dir, root, DEFAULT_COLLECTION, framed=False)
        wb: WaybackProcess = start_wayback(root, 0, new_session=True)
        try:
            entries = []
            for index, job in enumerate(jobs):
                shot = None
                if screenshots is not None:
                    shot = str((screenshots / _screenshot_name(index, job)).resolve())
                entries.append({"id": index, "screenshot": shot,
                                "replay_url": replay_url(wb.url, DEFAULT_COLLECTION,
                                                         job.timestamp, job.target, "mp_")})
            config = {"wayback": wb.url, "chromium": chromium, "parallel": parallel,
                      "timeout": timeout, "pages": entries}
            # Same environment as wayback's: no proxy variables, which Chromium would honour.
            env = offline_env(root / "config.yaml")
            return drive(python, config, jobs, root / "driver.log", env,
                         Progress(len(jobs), progress))
        finally:
            wb.stop()
