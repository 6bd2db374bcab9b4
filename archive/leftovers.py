"""Temporary files a killed process left in the archive: removed at the next run's start.

Every file the archive replaces is first written beside it (``durable.temporary_beside``:
``.NAME.XXXX.tmp``) and the index merge and rebuild work in ``.merge-*`` and ``.index-*``
folders; a kill between their creation and their rename or removal leaves them behind,
and nothing else would ever delete them. Only those older than ``STALE_AFTER`` go: a
manual ``python -m archive index`` or ``catalog`` may be writing its own right now (it
takes no lock), and none of them takes a day.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

STALE_AFTER = 24 * 3600.0  # seconds
# Where the archive writes temporaries, and what they are called there.
_PLACES = {".": (".*.tmp", ".merge-*", ".index-*"), "reports": (".*.tmp",)}


def remove_leftovers(root: Path, *, now: float | None = None,
                     older_than: float = STALE_AFTER) -> list[Path]:
    """Remove the stale temporaries under the archive ``root``; returns what was removed."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    for place, patterns in _PLACES.items():
        folder = Path(root) / place
        if not folder.is_dir():
            continue
        for pattern in patterns:
            for path in folder.glob(pattern):
                try:
                    if now - path.lstat().st_mtime < older_than:
                        continue
                    if path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path)
                    else:
                        path.unlink()
                except OSError:
                    continue  # gone already, or not ours to remove: left for next time
                removed.append(path)
    return sorted(removed)
