"""What outlives a run: per URL, the last capture (digest, validators, status, when, record).

SQLite in WAL mode under ``ARCHIVE_DIR/state/``. Rows are written only after the WARC record
they describe has been written (the writer thread hands them over), so after a kill the
state may lag behind the WARCs but is never ahead of them. All writes happen on one thread
owned by this class; reads of the snapshot taken at start are plain dict look-ups.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS captures (
    url TEXT PRIMARY KEY,
    status INTEGER NOT NULL,
    digest TEXT,
    etag TEXT,
    last_modified TEXT,
    warc_date TEXT NOT NULL,
    record_id TEXT,
    run_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    url TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    run_id TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Capture:
    url: str
    status: int
    digest: str | None
    etag: str | None
    last_modified: str | None
    warc_date: str
    record_id: str | None
    run_id: str


class CaptureState:
    """The state database: a snapshot for look-ups, and a writer thread for updates."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="state")
        self._local = threading.local()
        self._pending = 0
        self._last_commit = time.monotonic()
        self.captures: dict[str, Capture] = {}
        self.versions: dict[str, tuple[int, str]] = {}  # url -> (version, run that made it)
        self._executor.submit(self._load).result()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
            self._local.db = db
        return db

    def _load(self) -> None:
        db = self._db()
        for row in db.execute("SELECT * FROM captures"):
            self.captures[row[0]] = Capture(*row)
        for url, version, run_id in db.execute("SELECT url, version, run_id FROM versions"):
            self.versions[url] = (version, run_id)

    def record_capture(self, capture: Capture) -> Future:
        return self._executor.submit(self._write_capture, capture)

    def _write_capture(self, capture: Capture) -> None:
        self._db().execute(
            "INSERT OR REPLACE INTO captures VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                capture.url,
                capture.status,
                capture.digest,
                capture.etag,
                capture.last_modified,
                capture.warc_date,
                capture.record_id,
                capture.run_id,
            ),
        )
        self._maybe_commit()

    def record_version(self, url: str, version: int, run_id: str) -> Future:
        self.versions[url] = (version, run_id)
        return self._executor.submit(self._write_version, url, version, run_id)

    def _write_version(self, url: str, version: int, run_id: str) -> None:
        self._db().execute(
            "INSERT OR REPLACE INTO versions VALUES (?, ?, ?)", (url, version, run_id)
        )
        self._maybe_commit()

    def _maybe_commit(self) -> None:
        """Batched commits: a kill loses at most a couple of seconds of state, never WARC."""
        self._pending += 1
        now = time.monotonic()
        if self._pending >= 200 or now - self._last_commit > 2.0:
            self._db().commit()
            self._pending = 0
            self._last_commit = now
        self._last_commit = time.monotonic()

    def flush(self) -> None:
        self._executor.submit(lambda: self._db().commit()).result()

    def close(self) -> None:
        def finish() -> None:
            db = self._db()
            db.commit()
            db.close()
            self._local.db = None

        self._executor.submit(finish).result()
        self._executor.shutdown(wait=True)
