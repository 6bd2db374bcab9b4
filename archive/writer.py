"""Gzip-per-record WARC file writing, rotation, background writing and crash recovery."""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import os
import threading
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from archive.cdxj import member_lines
from archive.durable import rename_durably
from archive.layout import OPEN_SUFFIX, WARC_SUFFIX
from archive.records import (
    Exchange,
    WarcRecord,
    exchange_records,
    new_record_id,
    warcinfo_record,
)
from archive.recovery import recover_open_file, recover_open_files  # noqa: F401 - named here too
from archive.sidecars import mark_pending, write_sidecar

log = logging.getLogger(__name__)


class ArchiveWriteError(OSError):
    """A group of records could not be written; the file still ends at a complete record."""

    def __init__(self, path: Path, cause: BaseException, *, file_intact: bool = True) -> None:
        self.path = path
        self.cause = cause
        self.file_intact = file_intact
        state = "file truncated back to last complete record" if file_intact else (
            "file could not be repaired and was abandoned; run recover_open_files")
        errno = getattr(cause, "errno", None)
        super().__init__(errno, f"failed to write WARC records to {path}: {cause!r} ({state})")

    def __str__(self) -> str:
        return self.args[1] if len(self.args) > 1 else super().__str__()


@dataclass(frozen=True)
class RecordLocation:
    filename: str  # final file name (no directory, no ".open"), as it appears in CDXJ
    offset: int
    length: int
    record_id: str
    warc_type: str


def utc_now() -> datetime:
    return datetime.now(UTC)


def gzip_member(data: bytes) -> bytes:
    """One self-contained gzip member with mtime 0, so identical records compress identically."""
    comp = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return comp.compress(data) + comp.flush()


def file_timestamp(date: datetime) -> str:
    """YYYYMMDDHHMMSSfff in UTC, as used in WARC file names."""
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError(f"clock must return timezone-aware datetimes, got {date!r}")
    date = date.astimezone(UTC)
    return date.strftime("%Y%m%d%H%M%S") + f"{date.microsecond // 1000:03d}"


def _write_all(fh: BinaryIO, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = fh.write(view)
        if n is None:  # non-blocking raw stream; should not happen for regular files
            raise BlockingIOError("write would block")
        view = view[n:]


class WarcFileWriter:
    """Synchronous writer owning one open WARC file at a time.

    Not meant to be shared between threads without external ordering; wrap it in
    BackgroundWarcWriter to keep the crawler's event loop free. A lock still guards
    against accidental concurrent use corrupting the file.
    """

    def __init__(
        self,
        directory: Path,
        *,
        prefix: str,
        host: str,
        max_size: int,
        warcinfo_fields: dict[str, str],
        clock: Callable[[], datetime] = utc_now,
        record_id: Callable[[], str] = new_record_id,
        serial_start: int = 1,
        fsync_each_write: bool = False,
        index_dir: Path | None = None,
    ) -> None:
        for label, value in (("prefix", prefix), ("host", host)):
            if not value or "/" in value or os.sep in value:
                raise ValueError(f"invalid {label} for WARC file names: {value!r}")
        if max_size <= 0:
            raise ValueError("max_size must be positive")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.host = host
        self.max_size = max_size
        self.warcinfo_fields = dict(warcinfo_fields)
        self.clock = clock
        self.record_id = record_id
        self.fsync_each_write = fsync_each_write
        # Where each finished file's index lines go (archive/sidecars.py); None: nowhere.
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self._lines: list[str] = []
        self.next_serial = serial_start
        self.bytes_written = 0
        self.records_written = 0
        self.files: list[Path] = []
        self._fh: BinaryIO | None = None
        self._name: str | None = None
        self._size = 0
        self._groups_in_file = 0
        self._closed = False
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- properties
    @property
    def current_path(self) -> Path | None:
        """Path of the file being written (with the .open suffix), if any."""
        if self._name is None:
            return None
        return self.directory / (self._name + OPEN_SUFFIX)

    @property
    def current_size(self) -> int:
        return self._size

    # ---------------------------------------------------------------- file handling
    @staticmethod
    def _open_stream(path: Path) -> BinaryIO:
        # Unbuffered: every write reaches the OS immediately, so a failure is detected at the
        # group that caused it and truncation only has to undo that group.
        # "x" mode: never clobber an existing capture.
        return open(path, "xb", buffering=0)  # noqa: SIM115 - owned by the writer

    def _open_next(self) -> None:
        now = self.clock()
        serial = self.next_serial
        name = f"{self.prefix}-{file_timestamp(now)}-{serial:05d}-{self.host}{WARC_SUFFIX}"
        path = self.directory / (name + OPEN_SUFFIX)
        if (self.directory / name).exists():
            raise FileExistsError(f"WARC file already exists: {self.directory / name}")
        if self.index_dir is not None:
            mark_pending(self.index_dir, name)  # before the file exists: a kill keeps it
        self._fh = self._open_stream(path)
        self._lines = []
        self.next_serial = serial + 1
        self._name = name
        self._size = 0
        self._groups_in_file = 0
        info = warcinfo_record(
            filename=name, date=now, record_id=self.record_id(), fields=self.warcinfo_fields
        )
        try:
            self._append([info])
        except ArchiveWriteError:
            self._abandon(delete=True)
            raise

    def _finish_file(self) -> None:
        fh, name = self._fh, self._name
        if fh is None or name is None:
            return
        open_path = self.directory / (name + OPEN_SUFFIX)
        final = self.directory / name
        try:
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fh.close()
            self._fh = None
            self._name = None
        rename_durably(open_path, final)
        self.files.append(final)
        lines, self._lines = self._lines, []
        if self.index_dir is not None:
            try:
                write_sidecar(self.index_dir, name, lines)
            except OSError as exc:  # still pending: the index update reads the file instead
                log.warning("could not keep the index lines of %s: %r", final, exc)

    def _abandon(self, *, delete: bool) -> None:
        """Drop the current file after an unrepairable error; recovery can salvage it."""
        fh, path = self._fh, self.current_path
        self._fh = None
        self._name = None
        if fh is not None:
            with contextlib.suppress(OSError):
                fh.close()
        if delete and path is not None:
            with contextlib.suppress(OSError):
                path.unlink()

    def _append(self, records: Sequence[WarcRecord]) -> list[RecordLocation]:
        """Write one group contiguously; on failure cut the file back to where it was."""
        assert self._fh is not None and self._name is not None
        start = self._size
        members: list[bytes] = []
        locations: list[RecordLocation] = []
        lines: list[str] = []
        offset = start
        for record in records:
            plain = record.to_bytes()
            member = gzip_member(plain)
            members.append(member)
            if self.index_dir is not None:
                lines += member_lines(plain, offset, len(member), self._name)
            locations.append(
                RecordLocation(self._name, offset, len(member), record.record_id,
                               record.warc_type)
            )
            offset += len(member)
        data = b"".join(members)
        path = self.current_path
        assert path is not None
        try:
            _write_all(self._fh, data)
            self._fh.flush()
            if self.fsync_each_write:
                os.fsync(self._fh.fileno())
        except Exception as exc:
            try:
                self._fh.truncate(start)
                self._fh.seek(start)
            except Exception as trunc_exc:
                log.error("cannot truncate %s after failed write: %r", path, trunc_exc)
                self._abandon(delete=False)
                raise ArchiveWriteError(path, exc, file_intact=False) from exc
            raise ArchiveWriteError(path, exc) from exc
        self._size = offset
        self._lines += lines
        self.bytes_written += len(data)
        self.records_written += len(records)
        return locations

    # ---------------------------------------------------------------- public API
    def write(self, records: Sequence[WarcRecord]) -> list[RecordLocation]:
        """Write records as one unit that is never split across files."""
        records = list(records)
        if not records:
            return []
        with self._lock:
            if self._closed:
                raise ValueError("writer is closed")
            if self._fh is not None and self._groups_in_file and self._size >= self.max_size:
                self._finish_file()
            if self._fh is None:
                self._open_next()
            locations = self._append(records)
            self._groups_in_file += 1
            return locations

    def write_exchange(self, exchange: Exchange) -> list[RecordLocation]:
        """Build the response/request pair with this writer's id factory and write it."""
        response, request = exchange_records(
            exchange, response_id=self.record_id(), request_id=self.record_id()
        )
        return self.write([response, request])

    def sync(self) -> None:
        """Make what was written so far durable (callable from another thread)."""
        with self._lock:
            if self._fh is not None:
                os.fsync(self._fh.fileno())

    def rotate(self) -> None:
        """Finish the current file now; the next write opens a new one."""
        with self._lock:
            self._finish_file()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._finish_file()

    def __enter__(self) -> WarcFileWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class BackgroundWarcWriter:
    """Runs a WarcFileWriter on one dedicated thread so the event loop never blocks on disk.

    A single worker keeps submission order equal to file order, which is what makes
    request/response pairs and rotation deterministic.
    """

    def __init__(self, writer: WarcFileWriter) -> None:
        self.writer = writer
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="warc-writer"
        )
        self._closed = False
        self._lock = threading.Lock()

    def submit(
        self, records: Sequence[WarcRecord]
    ) -> concurrent.futures.Future[list[RecordLocation]]:
        with self._lock:
            if self._closed:
                raise RuntimeError("BackgroundWarcWriter is closed")
            return self._executor.submit(self.writer.write, list(records))

    def submit_exchange(
        self, exchange: Exchange
    ) -> concurrent.futures.Future[list[RecordLocation]]:
        """Digesting and serialising also happen off the event loop."""
        with self._lock:
            if self._closed:
                raise RuntimeError("BackgroundWarcWriter is closed")
            return self._executor.submit(self.writer.write_exchange, exchange)

    def close(self) -> None:
        """Drain queued writes, close (rename) the file and join the worker thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            future = self._executor.submit(self.writer.close)
        self._executor.shutdown(wait=True)
        future.result()

    def __enter__(self) -> BackgroundWarcWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
