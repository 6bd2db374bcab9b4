"""Each WARC file's own index lines, made while it is written, and which are not merged yet.

Rebuilding ``index.cdxj`` at every run's end read every WARC of the archive from its first
byte: on a years-old archive (tens of GB, often on slow or sleeping storage) that is most of
a quiet run's cost, growing without end. The writer knows each record's bytes, offset and
length when it writes it, so it makes the record's line then (``archive.cdxj.member_lines``:
the very parse a rebuild uses, so the same record gives the same line) and, when the file is
finished, keeps the file's lines sorted in ``index.d/NAME.warc.gz.cdxj``.

``index.d/pending/NAME.warc.gz`` (empty) is made *before* the WARC is opened and removed only
once the file's lines are in ``index.cdxj`` (``archive.merge``): a kill at any point leaves
the marker, so the next run's merge finds the file (making its lines by reading it if the
kill came before they were written: a file this crawl wrote, never an older one).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from archive.cdxj import file_lines
from archive.durable import fsync_dir, replaced_atomically

SIDECAR_SUFFIX = ".cdxj"
PENDING_DIR = "pending"
# Present once every finished WARC has its lines here (made once for an older archive).
STAMP_NAME = "complete"


def sidecar_path(index_dir: Path, warc_name: str) -> Path:
    return Path(index_dir) / (warc_name + SIDECAR_SUFFIX)


def pending_dir(index_dir: Path) -> Path:
    return Path(index_dir) / PENDING_DIR


def mark_pending(index_dir: Path, warc_name: str) -> None:
    """Record, durably, that ``warc_name`` is about to exist and is not in the index yet."""
    directory = pending_dir(index_dir)
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / warc_name, os.O_WRONLY | os.O_CREAT, 0o644)
    os.close(fd)
    fsync_dir(directory)


def pending_names(index_dir: Path) -> list[str]:
    """The WARC names whose lines are not (known to be) in the index, oldest first."""
    directory = pending_dir(index_dir)
    if not directory.is_dir():
        return []
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith("."))


def clear_pending(index_dir: Path, warc_names: Iterable[str]) -> None:
    directory = pending_dir(index_dir)
    for name in warc_names:
        (directory / name).unlink(missing_ok=True)
    fsync_dir(directory)


def unique_sorted(lines: Iterable[str]) -> list[str]:
    """Sorted, exact duplicates once: the order and content of a rebuild (``sorted_lines``)."""
    ordered = sorted(lines)
    return [line for n, line in enumerate(ordered) if n == 0 or line != ordered[n - 1]]


def write_sidecar(index_dir: Path, warc_name: str, lines: Iterable[str]) -> Path:
    """Put one file's lines in place, sorted, whole or not at all."""
    dest = sidecar_path(index_dir, warc_name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with replaced_atomically(dest) as tmp, open(tmp, "w", encoding="utf-8") as out:
        out.writelines(unique_sorted(lines))
    return dest


def make_sidecar(warc_path: Path, index_dir: Path) -> Path:
    """A file's lines by reading it: for a file recovered after a kill, an archive made
    before files had their own lines, or an explicit rebuild."""
    return write_sidecar(index_dir, warc_path.name, file_lines(warc_path))


def is_complete(index_dir: Path) -> bool:
    return (Path(index_dir) / STAMP_NAME).is_file()


def mark_complete(index_dir: Path) -> None:
    with replaced_atomically(Path(index_dir) / STAMP_NAME) as tmp:
        tmp.write_text("every finished WARC has its lines here\n", encoding="utf-8")
