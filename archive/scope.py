"""What a run's start has to look at: the files added since the state last caught up.

The state's catch-up (crawler/state/store.py) used to stat every WARC and open every run's
item file at each start, to find records a killed run wrote but never committed. Which files
may hold such records is known without touching the old ones:

* WARC files: a file's ``index.d/pending`` mark (archive/sidecars.py) lives from before the
  file is opened until a run's end merged its lines, which comes after that run closed the
  state: a file no longer pending was folded in whole. An archive whose files are not all
  in ``index.d`` yet (made by an earlier version) has every file looked at, once.
* Item files: a run writes its report after closing the state, so the items of a run with
  a report are folded in; those of a run without one (killed, or running) may not be, nor
  those of a run whose end failed to close the state (it leaves ``UNCOMMITTED_MARK``).
"""

from __future__ import annotations

from pathlib import Path

from archive.layout import FILE_INDEX_DIR, ITEM_FILES, UNCOMMITTED_MARK, finished_warcs
from archive.sidecars import is_complete, pending_names


def warcs_to_catch_up(warc_dir: Path) -> list[Path]:
    """The finished WARC files that may hold records the state has not folded in."""
    warc_dir = Path(warc_dir)
    index_dir = warc_dir.parent / FILE_INDEX_DIR
    if not is_complete(index_dir):
        return finished_warcs(warc_dir)
    return [warc_dir / name for name in pending_names(index_dir)
            if (warc_dir / name).is_file()]


def item_files_to_catch_up(items_root: Path, reports_dir: Path,
                           kind: str = "articles") -> list[Path]:
    """The item files of runs that have no report (killed, or not finished), or whose end
    could not commit the state, oldest first."""
    items_root = Path(items_root)
    if not items_root.is_dir():
        return []
    files = []
    for run in sorted(p.name for p in items_root.iterdir()):
        if (not (Path(reports_dir) / f"{run}.json").exists()
                or (items_root / run / UNCOMMITTED_MARK).exists()):
            path = items_root / run / ITEM_FILES[kind]
            if path.is_file():
                files.append(path)
    return files
