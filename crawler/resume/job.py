"""One run at a time per ARCHIVE_DIR, and a run that survives being killed.

``ARCHIVE_DIR/job/`` exists while a run is unfinished. It holds the run id (a restarted
crawl continues the same run: same item files, same report), Scrapy's JOBDIR (the seen-set
and spider state), and the work log. Scrapy's JOBDIR alone does not survive SIGKILL: its
disk queue can be left unreadable, and the requests being downloaded or parsed when the
process died are in the seen-set although their work never finished. The work log records
each request when it is scheduled and again when its work is done (every request its
callback yielded scheduled, every item it yielded written), one line each, so a restart puts
back exactly the unfinished ones and Scrapy's queue is not needed. The directory is removed
when a run ends normally.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from archive.durable import replaced_atomically
from archive.layout import ArchiveLayout

logger = logging.getLogger(__name__)


def new_run_id(now: datetime | None = None) -> str:
    """A run's id: when it started, to the second (and so the order runs sort in)."""
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%SZ")

class ArchiveBusy(RuntimeError):
    """Another run holds this ARCHIVE_DIR."""


class ArchiveLock:
    """An exclusive ``flock`` on ``ARCHIVE_DIR/.lock`` for the life of the process.

    The kernel drops the lock when the process dies however it dies, so a killed run never
    leaves a stale lock behind.
    """

    def __init__(self, archive_dir: Path) -> None:
        self.path = ArchiveLayout(archive_dir).lock_path
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise ArchiveBusy(
                f"{self.path.parent} is in use by {holder}; only one run at a time"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}\n")
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


@dataclass
class ArchiveJob:
    archive_dir: Path

    @property
    def dir(self) -> Path:
        return ArchiveLayout(self.archive_dir).job_dir

    @property
    def scrapy_dir(self) -> Path:
        return self.dir / "scrapy"

    @property
    def run_file(self) -> Path:
        return self.dir / "run.json"

    @property
    def inflight_path(self) -> Path:
        return self.dir / "inflight.log"

    def begin(self) -> tuple[str, bool]:
        """The run id to use, and whether it continues an unfinished run."""
        try:
            data = json.loads(self.run_file.read_text("utf-8"))
            return str(data["run_id"]), True
        except (FileNotFoundError, ValueError, KeyError):
            pass
        run_id = new_run_id()
        self.dir.mkdir(parents=True, exist_ok=True)
        with replaced_atomically(self.run_file) as tmp:
            tmp.write_text(json.dumps({"run_id": run_id}), "utf-8")
        return run_id, False

    def finish(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def drop_scrapy_queue(self) -> None:
        """The work log holds the pending requests; a queue a kill may have torn is not read."""
        shutil.rmtree(self.scrapy_dir / "requests.queue", ignore_errors=True)


def callback_name(request: Any) -> str:
    """How a request's callback is written down, to be looked up on the spider later."""
    return getattr(request.callback, "__name__", None) or "parse"


class InflightLog:
    """``+ url callback`` when a request is scheduled, ``x url`` when the scheduler refuses a
    copy (a duplicate), ``- url`` when its work is done.

    One line per event, written unbuffered in one ``write``: a kill cuts at most the last
    line, which the reader ignores.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def started(self, url: str, callback: str) -> None:
        self._write(f"+ {url} {callback}\n")

    def done(self, url: str) -> None:
        self._write(f"- {url}\n")

    def _write(self, line: str) -> None:
        if self._fd is None:
            return
        try:
            os.write(self._fd, line.encode())
        except OSError as exc:
            # A full disk: the run is being stopped by whoever hit it first. A resume then
            # re-does a little more work than it strictly needs to; it loses none.
            logger.warning("Work log %s no longer written: %s", self.path, exc)
            self.close()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def refused(self, url: str) -> None:
        """The scheduler refused a copy (a duplicate): cancels that copy's ``+``, not others."""
        self._write(f"x {url}\n")

    @staticmethod
    def unfinished(path: Path) -> list[tuple[str, str]]:
        """Requests that were scheduled and never finished, oldest first."""
        pending: dict[str, tuple[int, str]] = {}  # url -> (copies scheduled, callback)
        try:
            text = path.read_text("utf-8", errors="replace")
        except FileNotFoundError:
            return []
        for line in text.splitlines(keepends=True):
            if not line.endswith("\n"):
                break  # cut by a kill
            parts = line.split()
            if len(parts) == 3 and parts[0] == "+":
                count, _ = pending.get(parts[1], (0, parts[2]))
                pending[parts[1]] = (count + 1, parts[2])
            elif len(parts) == 2 and parts[0] == "x" and parts[1] in pending:
                count, callback = pending[parts[1]]
                if count <= 1:
                    del pending[parts[1]]
                else:
                    pending[parts[1]] = (count - 1, callback)
            elif len(parts) == 2 and parts[0] == "-":
                pending.pop(parts[1], None)
        return [(url, callback) for url, (_count, callback) in pending.items()]
