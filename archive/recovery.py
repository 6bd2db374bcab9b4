"""Salvage the WARC files a killed run left ``.open``, and make their index lines then.

A killed run's current file ends wherever the kill caught it. Recovery reads it once, from
the first byte, to find the end of its last whole record; the same pass makes each kept
record's index line (``archive.cdxj.member_lines``: the parse a rebuild uses) so that the
recovered file has its own lines in ``index.d`` like any file the writer closed, and the
index update at the run's end never has to read it again. Lines are kept only for a file of
this crawl's index (one with an ``index.d/pending`` mark, archive/sidecars.py); if they
cannot be made or kept, the mark stays and the merge makes them by reading the file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from archive.cdxj import member_lines
from archive.durable import fsync_dir, rename_durably
from archive.layout import FILE_INDEX_DIR, OPEN_SUFFIX, unfinished_warcs
from archive.members import RecordError, iter_gzip_members, parse_record
from archive.sidecars import pending_dir, write_sidecar

log = logging.getLogger(__name__)


def final_name(open_path: Path) -> Path:
    return open_path.with_name(open_path.name[: -len(OPEN_SUFFIX)])


def _index_dir(open_path: Path) -> Path | None:
    """``index.d`` of the archive the file belongs to, when the file is pending there."""
    index_dir = open_path.parent.parent / FILE_INDEX_DIR
    if (pending_dir(index_dir) / final_name(open_path).name).exists():
        return index_dir
    return None


def recover_open_file(path: Path) -> Path | None:
    """Repair one `.open` file; returns the final path, or None if nothing was worth keeping."""
    good_end = 0
    first_type: str | None = None
    index_dir = _index_dir(path)
    name = final_name(path).name
    lines: list[str] | None = [] if index_dir is not None else None
    with open(path, "rb") as fh:
        for member in iter_gzip_members(fh):
            if member.data is None:
                break
            try:
                record = parse_record(member.data)
            except RecordError:
                break
            if first_type is None:
                first_type = record.get("WARC-Type") or ""
            good_end = member.offset + member.length
            if lines is not None:
                try:
                    lines += member_lines(member.data, member.offset, member.length, name)
                except Exception as exc:  # noqa: BLE001 - any: the merge reads it later
                    log.warning("index lines of %s left to the merge: %r", path, exc)
                    lines = None
    if good_end == 0 or first_type != "warcinfo":
        log.warning("deleting unrecoverable WARC file %s", path)
        path.unlink()
        return None
    target = final_name(path)
    if target.exists():
        raise FileExistsError(f"cannot recover {path}: {target} already exists")
    with open(path, "r+b") as fh:
        if os.fstat(fh.fileno()).st_size != good_end:
            log.warning("truncating %s to %d bytes", path, good_end)
            fh.truncate(good_end)
        fh.flush()
        os.fsync(fh.fileno())
    rename_durably(path, target)
    if index_dir is not None and lines is not None:
        try:
            write_sidecar(index_dir, name, lines)
        except OSError as exc:  # the mark stays: the merge reads the file instead
            log.warning("could not keep the index lines of %s: %r", target, exc)
    return target


def recover_open_files(directory: Path) -> list[Path]:
    """Salvage files left `.open` by a killed process. Must not run while a writer is active
    on the same directory, since its current file is `.open` too."""
    directory = Path(directory)
    recovered: list[Path] = []
    for path in unfinished_warcs(directory):
        result = recover_open_file(path)
        if result is not None:
            recovered.append(result)
    if recovered:
        fsync_dir(directory)
    return recovered
