"""Salvaging the ``.open`` WARC files a killed writer left: each is cut at its last whole
record and given its final name, durably; a file with nothing worth keeping is deleted."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from archive.durable import fsync_dir, rename_durably
from archive.layout import OPEN_SUFFIX, unfinished_warcs
from archive.members import RecordError, iter_gzip_members, parse_record

log = logging.getLogger(__name__)


def final_name(open_path: Path) -> Path:
    return open_path.with_name(open_path.name[: -len(OPEN_SUFFIX)])


def recover_open_file(path: Path) -> Path | None:
    """Repair one `.open` file; returns the final path, or None if nothing was worth keeping."""
    good_end = 0
    first_type: str | None = None
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
