"""Bring ``index.cdxj`` up to date by merging, never by re-reading the archive.

``index.cdxj`` is the sorted set of every finished WARC's lines (exact duplicates once),
which is what a rebuild makes. Each file's lines are kept sorted in ``index.d``
(``archive.sidecars``), so a run's end merges the old index with the lines of the files
marked pending: ``heapq.merge`` over sorted files, one line of each in memory, read and
written front to back, put in place by rename (``archive.durable``). Merging is idempotent
(a line already in the index is written once), so a kill before the pending marks are
cleared costs a second merge of the same lines, never a wrong index.

The one-time upgrade of an archive made before files had their own lines, and the explicit
``python -m archive index DIR --rebuild``, read WARC files; a run's merge reads only the
index and the files it wrote.
"""

from __future__ import annotations

import contextlib
import heapq
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from archive.durable import replaced_atomically
from archive.layout import OPEN_SUFFIX, ArchiveLayout
from archive.sidecars import (
    clear_pending,
    is_complete,
    make_sidecar,
    mark_complete,
    pending_names,
    sidecar_path,
)

# Files merged at once; more are merged in rounds (a rebuild of thousands of files).
MAX_OPEN = 64

Checkpoint = Callable[[str], None]


class IndexOrderError(ValueError):
    """An input of the merge is not sorted: it cannot be merged, only rebuilt."""


@dataclass
class IndexUpdate:
    lines: int | None = None  # lines in index.cdxj, when it was written
    merged: list[str] = field(default_factory=list)  # WARC names whose lines went in
    made: list[str] = field(default_factory=list)  # WARC names whose lines were read back
    mode: str = "merge"  # "merge", "nothing new", "upgrade", "lost index", "rebuild"


def _sorted_lines(path: Path) -> Iterator[str]:
    previous = ""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            if not line.endswith("\n"):
                line += "\n"
            if line < previous:
                raise IndexOrderError(f"{path} is not sorted: cannot merge it")
            previous = line
            yield line


def _merge_into(sources: Sequence[Path], out_path: Path) -> int:
    with ExitStack() as stack, open(out_path, "w", encoding="utf-8") as out:
        streams = [stack.enter_context(contextlib.closing(_sorted_lines(p))) for p in sources]
        count = 0
        previous = None
        for line in heapq.merge(*streams):
            if line != previous:
                out.write(line)
                count += 1
                previous = line
        return count


def merge_files(sources: Sequence[Path], dest: Path, *,
                checkpoint: Checkpoint | None = None) -> int:
    """Merge sorted CDXJ files into ``dest`` (replaced atomically); returns its line count.
    ``dest`` may be one of the sources (it is read before it is replaced)."""
    sources = [Path(p) for p in sources if Path(p).is_file()]
    with replaced_atomically(Path(dest)) as tmp:
        if len(sources) <= MAX_OPEN:
            count = _merge_into(sources, tmp)
        else:
            with tempfile.TemporaryDirectory(prefix=".merge-", dir=Path(dest).parent) as work:
                rounds = []
                for n in range(0, len(sources), MAX_OPEN):
                    part = Path(work) / f"{n:08d}.cdxj"
                    _merge_into(sources[n:n + MAX_OPEN], part)
                    rounds.append(part)
                count = merge_files(rounds, tmp)
        if checkpoint is not None:
            checkpoint("index_merge")  # the new index written, not yet in place
    return count


def update_index(layout: ArchiveLayout, *, checkpoint: Checkpoint | None = None,
                 keep_pending: bool = False) -> IndexUpdate:
    """Merge the lines of the pending files into ``index.cdxj``.

    An archive without ``index.d/complete`` (made by an earlier version) gets every WARC's
    lines made once, here; a lost ``index.cdxj`` is rebuilt from the files' lines.
    ``keep_pending``: the files stay marked although merged (a run whose state could not be
    closed: the next start's catch-up looks at them again, archive/scope.py).
    """
    index_dir = layout.file_index_dir
    if not is_complete(index_dir):
        return _from_file_lines(layout, "upgrade", checkpoint, keep_pending)
    if not layout.index_path.is_file():
        return _from_file_lines(layout, "lost index", checkpoint, keep_pending)
    update = IndexUpdate()
    sources = []
    for name in pending_names(index_dir):
        warc = layout.warc_dir / name
        if not warc.is_file():
            if not (layout.warc_dir / (name + OPEN_SUFFIX)).exists():
                update.merged.append(name)  # never finished (deleted unrecoverable): no lines
            continue  # still being written, or to be recovered: stays pending
        sidecar = sidecar_path(index_dir, name)
        if not sidecar.is_file():
            make_sidecar(warc, index_dir)  # a file of this crawl, finished by recovery
            update.made.append(name)
        sources.append(sidecar)
        update.merged.append(name)
    if sources:
        try:
            update.lines = merge_files([layout.index_path, *sources], layout.index_path,
                                       checkpoint=checkpoint)
        except IndexOrderError:
            return _from_file_lines(layout, "rebuild", checkpoint, keep_pending)
    else:
        update.mode = "nothing new"
    if checkpoint is not None:
        checkpoint("index_replaced")
    if not keep_pending:
        clear_pending(index_dir, update.merged)
    return update


def _from_file_lines(layout: ArchiveLayout, mode: str, checkpoint: Checkpoint | None,
                     keep_pending: bool = False) -> IndexUpdate:
    """``index.cdxj`` from the lines of every finished WARC, making those that are missing."""
    index_dir = layout.file_index_dir
    update = IndexUpdate(mode=mode)
    pending = pending_names(index_dir)
    sources = []
    for warc in layout.finished_warcs():
        sidecar = sidecar_path(index_dir, warc.name)
        if not sidecar.is_file():
            make_sidecar(warc, index_dir)
            update.made.append(warc.name)
        sources.append(sidecar)
        update.merged.append(warc.name)
    update.lines = merge_files(sources, layout.index_path, checkpoint=checkpoint)
    mark_complete(index_dir)
    if checkpoint is not None:
        checkpoint("index_replaced")
    if not keep_pending:
        clear_pending(index_dir, [n for n in pending
                              if not (layout.warc_dir / (n + OPEN_SUFFIX)).exists()])
    return update


def rebuild_index(layout: ArchiveLayout) -> IndexUpdate:
    """Read every finished WARC again, remake its lines and the whole index (an index or
    ``index.d`` lost or doubted); the result is what a run's merges make."""
    index_dir = layout.file_index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    for warc in layout.finished_warcs():
        make_sidecar(warc, index_dir)
    update = _from_file_lines(layout, "rebuild", None, keep_pending=True)
    update.made = list(update.merged)
    return update
