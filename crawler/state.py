"""What outlives a run: per URL, the last capture; per payload, where it was first archived;
per article, its version.

SQLite in WAL mode under ``ARCHIVE_DIR/state/``. Rows are written only after the WARC record
they describe has been written (the writer thread hands them over), so after a kill the
state may lag behind the WARCs but is never ahead of them.

Nothing per URL is held in memory: a crawl of 20,000 articles would otherwise carry every
capture, payload digest and version of the archive for the whole run. Look-ups read the
database (an indexed SELECT costs microseconds, a page costs milliseconds); what this run
wrote but has not committed yet is kept in small pending maps until the commit, so a
look-up always sees the run's own writes.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
CREATE TABLE IF NOT EXISTS payloads (
    digest TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    warc_date TEXT NOT NULL,
    record_id TEXT,
    filename TEXT,
    offset INTEGER,
    length INTEGER
);
"""

COMMIT_EVERY_ROWS = 200
COMMIT_EVERY_SECONDS = 2.0


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


@dataclass(frozen=True)
class Payload:
    """Where a payload was first archived: what an identical-payload revisit refers to.

    Payloads seeded from an older archive's index have whole-second dates and no record id;
    ``location`` (file name, offset, length) lets the caller read the exact ones once.
    """

    digest: str
    url: str
    warc_date: str
    record_id: str | None
    location: tuple[str, int, int] | None = None


class CaptureState:
    """The state database: look-ups on the caller's thread, writes on one thread of its own."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="state")
        self._local = threading.local()
        self._uncommitted: list[tuple[dict[Any, Any], Any, Any]] = []  # pending-map entries
        self._rows_since_commit = 0
        self._last_commit = time.monotonic()
        self._pending_versions: dict[str, tuple[int, str]] = {}
        self._pending_payloads: dict[str, Payload] = {}
        self._pending_lock = threading.Lock()  # the event loop adds, the state thread drops
        self._executor.submit(self._db).result()  # the schema exists before anyone reads
        self._reader = sqlite3.connect(path, check_same_thread=False)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
            self._local.db = db
        return db

    # -- look-ups ---------------------------------------------------------------------------

    def capture(self, url: str) -> Capture | None:
        row = self._reader.execute("SELECT * FROM captures WHERE url = ?", (url,)).fetchone()
        return Capture(*row) if row else None

    def version(self, url: str) -> tuple[int, str]:
        """(version, run that made it) of an article; (0, "") when it has none yet."""
        pending = self._pending_versions.get(url)
        if pending is not None:
            return pending
        row = self._reader.execute(
            "SELECT version, run_id FROM versions WHERE url = ?", (url,)
        ).fetchone()
        return (row[0], row[1]) if row else (0, "")

    def payload(self, digest: str) -> Payload | None:
        pending = self._pending_payloads.get(digest)
        if pending is not None:
            return pending
        row = self._reader.execute(
            "SELECT url, warc_date, record_id, filename, offset, length FROM payloads"
            " WHERE digest = ?",
            (digest,),
        ).fetchone()
        if row is None:
            return None
        url, date, record_id, filename, offset, length = row
        location = (filename, offset, length) if filename and length else None
        return Payload(digest, url, date, record_id, location)

    # -- writes -----------------------------------------------------------------------------

    def claim_payload(self, payload: Payload) -> Payload | None:
        """The payload's original if one is known; otherwise ``payload`` becomes it (seen by
        look-ups at once, written with its capture by ``record_capture``)."""
        known = self.payload(payload.digest)
        if known is None:
            with self._pending_lock:
                self._pending_payloads[payload.digest] = payload
        return known

    def record_capture(self, capture: Capture, payload: Payload | None = None) -> Future:
        """Call once the capture's records are on disk."""
        return self._executor.submit(self._write_capture, capture, payload)

    def _write_capture(self, capture: Capture, payload: Payload | None) -> None:
        db = self._db()
        db.execute(
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
        if payload is not None:
            self._insert_payload(db, payload)
            self._uncommitted.append((self._pending_payloads, payload.digest, payload))
        self._maybe_commit()

    @staticmethod
    def _insert_payload(db: sqlite3.Connection, payload: Payload) -> None:
        filename, offset, length = payload.location or (None, None, None)
        db.execute(
            "INSERT OR IGNORE INTO payloads VALUES (?, ?, ?, ?, ?, ?, ?)",
            (payload.digest, payload.url, payload.warc_date, payload.record_id, filename,
             offset, length),
        )

    def resolved_payload(self, payload: Payload) -> Future:
        """The exact date and record id of a payload seeded from an index, read from its record."""
        with self._pending_lock:
            self._pending_payloads[payload.digest] = payload
        return self._executor.submit(self._update_payload, payload)

    def _update_payload(self, payload: Payload) -> None:
        self._db().execute(
            "UPDATE payloads SET warc_date = ?, record_id = ? WHERE digest = ?",
            (payload.warc_date, payload.record_id, payload.digest),
        )
        self._uncommitted.append((self._pending_payloads, payload.digest, payload))
        self._maybe_commit()

    def record_version(self, url: str, version: int, run_id: str) -> Future:
        entry = (version, run_id)
        with self._pending_lock:
            self._pending_versions[url] = entry
        return self._executor.submit(self._write_version, url, entry)

    def _write_version(self, url: str, entry: tuple[int, str]) -> None:
        self._db().execute("INSERT OR REPLACE INTO versions VALUES (?, ?, ?)", (url, *entry))
        self._uncommitted.append((self._pending_versions, url, entry))
        self._maybe_commit()

    def seed_payloads(self, rows: Callable[[], Any]) -> int:
        """Fill an empty payload table (an archive made before it existed) from ``rows()``,
        an iterable of Payloads; returns how many were added."""
        return self._executor.submit(self._seed_payloads, rows).result()

    def _seed_payloads(self, rows: Callable[[], Any]) -> int:
        db = self._db()
        if db.execute("SELECT 1 FROM payloads LIMIT 1").fetchone():
            return 0
        added = 0
        for payload in rows():
            self._insert_payload(db, payload)
            added += 1
        db.commit()
        return added

    def _maybe_commit(self) -> None:
        """Batched commits: a kill loses at most a couple of seconds of state, never WARC."""
        self._rows_since_commit += 1
        if (
            self._rows_since_commit >= COMMIT_EVERY_ROWS
            or time.monotonic() - self._last_commit > COMMIT_EVERY_SECONDS
        ):
            self._commit()

    def _commit(self) -> None:
        self._db().commit()
        self._last_commit = time.monotonic()
        self._rows_since_commit = 0
        # Committed rows are visible to look-ups now: drop them from the pending maps, unless
        # the event loop has put a newer value there meanwhile.
        with self._pending_lock:
            for pending, key, value in self._uncommitted:
                if pending.get(key) is value:
                    del pending[key]
        self._uncommitted.clear()

    def flush(self) -> None:
        self._executor.submit(self._commit).result()

    def close(self) -> None:
        def finish() -> None:
            self._commit()
            self._db().close()
            self._local.db = None

        self._executor.submit(finish).result()
        self._executor.shutdown(wait=True)
        self._reader.close()


def payloads_from_index(index_path: Path) -> Any:
    """Payloads of 200 responses in a CDXJ index, first capture of each digest first."""
    try:
        fh = index_path.open("r", encoding="utf-8")
    except FileNotFoundError:
        return
    with fh:
        for line in fh:
            try:
                _key, ts, body = line.split(" ", 2)
                data = json.loads(body)
            except ValueError:
                continue
            if data.get("mime") == "warc/revisit" or data.get("status") != "200":
                continue
            digest = data.get("digest")
            if not digest:
                continue
            if not digest.startswith("sha1:"):
                digest = "sha1:" + digest
            date = f"{ts[0:4]}-{ts[4:6]}-{ts[6:8]}T{ts[8:10]}:{ts[10:12]}:{ts[12:14]}Z"
            location = None
            if data.get("filename") and data.get("offset") and data.get("length"):
                location = (data["filename"], int(data["offset"]), int(data["length"]))
            yield Payload(digest, data.get("url", ""), date, None, location)
