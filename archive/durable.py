"""Files that are whole or absent: a new file put in place by rename, and renames made durable.

The index, a WACZ and pywb's copy of the index are each rebuilt while something may be
reading the old one (pywb, ReplayWeb.page, a user), so each is written under a temporary
name beside its destination and renamed over it: a reader sees the old file or the new one,
never half of either. The WARC writer renames its ``.open`` files the same way.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Make a rename durable; best effort on platforms without directory fds."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temporary_beside(dest: Path) -> tuple[int, Path]:
    """A new empty file beside ``dest`` (an open fd, and its path) to write ``dest`` into."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    return fd, Path(tmp_name)


def put_in_place(tmp: Path, dest: Path) -> None:
    """Sync ``tmp`` (written and closed), make it world-readable (``mkstemp`` makes it 0600,
    and replay tools may run as another user), rename it over ``dest`` and sync the rename.
    On a failure ``tmp`` is removed and ``dest`` is left as it was."""
    try:
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(dest.parent)


def rename_durably(src: Path, dest: Path) -> None:
    """Rename ``src`` (already synced) to ``dest`` and sync the rename (a ``.open`` WARC to
    its final name: after a crash the file is under one name or the other)."""
    os.replace(src, dest)
    fsync_dir(Path(dest).parent)


def link_in_place(target: Path, link: Path) -> None:
    """(Re)point the symlink ``link`` at ``target``, never leaving the name missing."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    rename_durably(tmp, link)


@contextmanager
def replaced_atomically(dest: Path) -> Iterator[Path]:
    """A temporary path beside ``dest`` to write; on a clean exit it replaces ``dest``
    (``put_in_place``). On an exception the temporary file is removed and ``dest`` is left
    as it was."""
    dest = Path(dest)
    fd, tmp = temporary_beside(dest)
    os.close(fd)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    put_in_place(tmp, dest)
