"""What outlives a run: per URL, the last capture; per payload, where it was first archived;
per article, its version and what its content was.

SQLite in WAL mode under ``ARCHIVE_DIR/state/``. The WARCs and the item files are the truth;
the state is an index of them. A row is written only after what it describes is on disk (the
WARC writer and the item exporter hand rows over once they have written), together with how
far into that file the state has got (``folded``). So after a kill or a power cut the state
may lag behind the disk but is never ahead of it, and ``catch_up`` folds in what it lacks
before a run schedules anything: no article is taken for new twice, no version number given
twice. Before a commit, the files it covers are synced (``sync_hooks``), so a power cut cannot
leave the state ahead of a file the kernel had not written yet.

Nothing per URL is held in memory: a crawl of 20,000 articles would otherwise carry every
capture, payload digest and version of the archive for the whole run. Look-ups read the
database (an indexed SELECT costs microseconds, a page costs milliseconds); what this run
wrote but has not committed yet is kept in small pending maps until the commit, so a
look-up always sees the run's own writes.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from archive.layout import ITEM_FILES, UNCOMMITTED_MARK, finished_warcs
from archive.scope import item_files_to_catch_up, warcs_to_catch_up
from crawler.incremental.policy import Entry
from crawler.resume import killpoints
from crawler.state.catchup import item_lines_after, warc_captures_after
from crawler.state.records import (
    NO_VERSION,
    Capture,
    Payload,
    Version,
    item_source,
    warc_source,
)

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
    run_id TEXT NOT NULL,
    content TEXT
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
CREATE TABLE IF NOT EXISTS schedule (
    url TEXT PRIMARY KEY,
    published REAL,
    interval REAL NOT NULL,
    next_due REAL NOT NULL,
    last_checked REAL NOT NULL,
    last_run TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS schedule_next_due ON schedule (next_due);
CREATE TABLE IF NOT EXISTS folded (
    source TEXT PRIMARY KEY,
    offset INTEGER NOT NULL
);
"""
# Columns added after a table first shipped: (table, column, declaration).
MIGRATIONS = (("versions", "content", "TEXT"),)

COMMIT_EVERY_ROWS = 200
COMMIT_EVERY_SECONDS = 2.0


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
        self._pending_versions: dict[str, Version] = {}
        self._pending_schedule: dict[str, Entry] = {}
        # Called on the state thread before every commit: make the files the commit covers
        # durable first (the WARC writer's and the item exporter's fsync).
        self.sync_hooks: list[Callable[[], None]] = []
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
            for table, column, declaration in MIGRATIONS:
                columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                if column not in columns:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            db.commit()
            self._local.db = db
        return db

    # -- look-ups ---------------------------------------------------------------------------

    def capture(self, url: str) -> Capture | None:
        row = self._reader.execute("SELECT * FROM captures WHERE url = ?", (url,)).fetchone()
        return Capture(*row) if row else None

    def version(self, url: str) -> Version:
        """The newest version of an article; ``NO_VERSION`` when it has none yet."""
        pending = self._pending_versions.get(url)
        if pending is not None:
            return pending
        row = self._reader.execute(
            "SELECT version, run_id, content FROM versions WHERE url = ?", (url,)
        ).fetchone()
        return Version(*row) if row else NO_VERSION

    def schedule_entry(self, url: str) -> Entry | None:
        pending = self._pending_schedule.get(url)
        if pending is not None:
            return pending
        row = self._reader.execute(
            "SELECT url, published, interval, next_due, last_checked, last_run FROM schedule"
            " WHERE url = ?",
            (url,),
        ).fetchone()
        return Entry(*row) if row else None

    def schedule_entries(self, not_checked_by: str) -> Iterator[Entry]:
        """Every scheduled URL that run ``not_checked_by`` has not checked yet, soonest due
        first: which of them are due is ``crawler.incremental.policy.is_due``'s to say."""
        rows = self._reader.execute(
            "SELECT url, published, interval, next_due, last_checked, last_run FROM schedule"
            " WHERE last_run != ? ORDER BY next_due",
            (not_checked_by,),
        )
        for row in rows:
            yield Entry(*row)

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

    def record_capture(
        self,
        capture: Capture | None,
        payload: Payload | None = None,
        folded: tuple[str, int] | None = None,
    ) -> Future:
        """Call once the capture's records are on disk, up to ``folded`` (source, offset)."""
        return self._executor.submit(self._write_capture, capture, payload, folded)

    def _write_capture(
        self, capture: Capture | None, payload: Payload | None, folded: tuple[str, int] | None
    ) -> None:
        db = self._db()
        if folded is not None:
            self._advance(db, *folded)
        if capture is None:
            self._maybe_commit()
            return
        self._write_capture_row(db, capture)
        if payload is not None:
            self._insert_payload(db, payload)
            self._uncommitted.append((self._pending_payloads, payload.digest, payload))
        self._maybe_commit()

    @staticmethod
    def _write_capture_row(db: sqlite3.Connection, capture: Capture) -> None:
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

    def record_version(
        self, url: str, version: Version, folded: tuple[str, int] | None = None
    ) -> Future:
        """Call once the item line of ``version`` is on disk, up to ``folded``."""
        with self._pending_lock:
            self._pending_versions[url] = version
        return self._executor.submit(self._write_version, url, version, folded)

    def record_schedule(self, entry: Entry) -> Future:
        with self._pending_lock:
            self._pending_schedule[entry.url] = entry
        return self._executor.submit(self._write_schedule, entry)

    def _write_schedule(self, entry: Entry) -> None:
        self._db().execute("INSERT OR REPLACE INTO schedule VALUES (?, ?, ?, ?, ?, ?)", entry)
        self._uncommitted.append((self._pending_schedule, entry.url, entry))
        self._maybe_commit()

    @staticmethod
    def _advance(db: sqlite3.Connection, source: str, offset: int) -> None:
        db.execute(
            "INSERT INTO folded VALUES (?, ?) ON CONFLICT(source) DO UPDATE SET"
            " offset = excluded.offset WHERE excluded.offset > folded.offset",
            (source, offset),
        )

    def _write_version(
        self, url: str, version: Version, folded: tuple[str, int] | None
    ) -> None:
        db = self._db()
        self._upsert_version(db, url, version)
        if folded is not None:
            self._advance(db, *folded)
        self._uncommitted.append((self._pending_versions, url, version))
        self._maybe_commit()

    @staticmethod
    def _upsert_version(db: sqlite3.Connection, url: str, version: Version) -> None:
        db.execute(
            "INSERT INTO versions VALUES (?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET"
            " version = excluded.version, run_id = excluded.run_id, content = excluded.content"
            " WHERE excluded.version >= versions.version",
            (url, *version),
        )

    # -- catching up with the disk ----------------------------------------------------------

    def catch_up(self, warc_dir: Path, items_root: Path) -> dict[str, int]:
        """Fold in every WARC record and item line beyond what the state knows; returns how
        many of each. Runs before anything is scheduled (the caller's thread waits)."""
        return self._executor.submit(self._catch_up, warc_dir, items_root).result()

    def _catch_up(self, warc_dir: Path, items_root: Path) -> dict[str, int]:
        db = self._db()
        counts = {"captures": 0, "versions": 0}
        # A state that knows nothing is rebuilt from every file; else only files that may hold
        # what it lacks are looked at (archive/scope.py), never every WARC and item file.
        known = db.execute("SELECT 1 FROM folded LIMIT 1").fetchone() is not None
        warcs = warcs_to_catch_up(warc_dir) if known else finished_warcs(warc_dir)
        for path in warcs:
            source = warc_source(path.name)
            start = self._folded_in(db, source)
            if path.stat().st_size <= start:
                continue
            end = start
            for capture, payload, offset in warc_captures_after(path, start):
                end = offset
                if capture is not None:
                    self._write_capture_row(db, capture)
                    counts["captures"] += 1
                if payload is not None:
                    self._insert_payload(db, payload)
            self._advance(db, source, end)
        articles = f"*/{ITEM_FILES['articles']}"
        if known:
            files = item_files_to_catch_up(items_root, items_root.parent / "reports")
        else:
            files = sorted(items_root.glob(articles)) if items_root.is_dir() else []
        for path in files:
            source = item_source(path, items_root)
            start = self._folded_in(db, source)
            end = start
            for url, version, offset in item_lines_after(path, start):
                end = offset
                self._upsert_version(db, url, version)
                counts["versions"] += 1
            self._advance(db, source, end)
        db.commit()
        for path in files:  # folded in and committed: the failed end is made good
            (path.parent / UNCOMMITTED_MARK).unlink(missing_ok=True)
        return counts

    @staticmethod
    def _folded_in(db: sqlite3.Connection, source: str) -> int:
        row = db.execute("SELECT offset FROM folded WHERE source = ?", (source,)).fetchone()
        return row[0] if row else 0

    def _maybe_commit(self) -> None:
        """Batched commits: a kill loses at most a couple of seconds of state, never WARC."""
        self._rows_since_commit += 1
        if (
            self._rows_since_commit >= COMMIT_EVERY_ROWS
            or time.monotonic() - self._last_commit > COMMIT_EVERY_SECONDS
        ):
            self._commit()

    def _commit(self) -> None:
        for sync in self.sync_hooks:
            sync()
        self._db().commit()
        killpoints.reached("state_commit")
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
