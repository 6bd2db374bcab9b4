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


@contextmanager
def replaced_atomically(dest: Path) -> Iterator[Path]:
    """A temporary path beside ``dest`` to write; on a clean exit it replaces ``dest``.

    The file is synced, made world-readable (``mkstemp`` makes it 0600, and replay tools may
    run as another user) and renamed over ``dest``, and the rename is synced. On an exception
    the temporary file is removed and ``dest`` is left as it was.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(dest.parent)
