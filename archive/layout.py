"""Where everything lives under an ``ARCHIVE_DIR``, and which WARC files are finished.

Every reader of an archive (verify, replay, WACZ, re-extraction, the state's catch-up, the
run report) and every writer used to spell ``warc/``, ``index.cdxj`` and ``items/`` on its
own and to decide for itself which files count as finished WARCs; they disagreed (some took
``.warc``, some looked at ``.open`` anywhere in the name). The names are a stable interface:
pywb collections, WACZ packages and item pointers depend on them, so they live here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Names under ARCHIVE_DIR that are also stored as keys (crawler/state/store.py's ``folded`` rows).
WARC_DIR = "warc"
ITEMS_DIR = "items"
# The item files of a run, by the kind of item they hold: items/<run_id>/articles.jsonl, ...
ITEM_FILES = {"articles": "articles.jsonl", "sections": "sections.jsonl"}
# In a run's items directory: its end could not commit the state, so the next start folds
# these items in even though the run has a report (archive/scope.py).
UNCOMMITTED_MARK = "state-uncommitted"
WARC_SUFFIX = ".warc.gz"  # the writer writes only this: one gzip member per record
OPEN_SUFFIX = ".open"  # a WARC still being written (or left by a killed run)
INDEX_NAME = "index.cdxj"
# Each WARC's own index lines (archive/sidecars.py), merged into INDEX_NAME at a run's end.
FILE_INDEX_DIR = "index.d"
DEFAULT_ROOT = "data"  # ARCHIVE_DIR when the setting is empty


def finished_warcs(warc_dir: Path) -> list[Path]:
    """The finished WARC files of a directory, oldest first.

    Names start with the creation time, so name order is write order (re-extraction and
    revisit resolution rely on it). A file still ``.open`` is never finished: it may be cut
    at any moment, and recovery names it once it is whole. A missing directory holds none.
    """
    warc_dir = Path(warc_dir)
    if not warc_dir.is_dir():
        return []
    return sorted(p for p in warc_dir.iterdir() if p.name.endswith(WARC_SUFFIX) and p.is_file())


def unfinished_warcs(warc_dir: Path) -> list[Path]:
    """Files still ``.open``: a crawl is writing them, or was killed and not yet recovered."""
    warc_dir = Path(warc_dir)
    if not warc_dir.is_dir():
        return []
    return sorted(p for p in warc_dir.iterdir() if p.name.endswith(WARC_SUFFIX + OPEN_SUFFIX))


@dataclass
class ArchiveLayout:
    """Where everything lives under ``ARCHIVE_DIR``; stable across releases."""

    root: Path

    @classmethod
    def at(cls, archive_dir: str | Path | None) -> ArchiveLayout:
        """The layout of the ``ARCHIVE_DIR`` setting's value (empty: ``data``)."""
        return cls(Path(archive_dir or DEFAULT_ROOT))

    @property
    def warc_dir(self) -> Path:
        return self.root / WARC_DIR

    @property
    def items_root(self) -> Path:
        return self.root / ITEMS_DIR

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def index_path(self) -> Path:
        return self.root / INDEX_NAME

    @property
    def file_index_dir(self) -> Path:
        """Each WARC's index lines, and which are not merged into the index yet."""
        return self.root / FILE_INDEX_DIR

    @property
    def rejects_dir(self) -> Path:
        return self.root / "rejects"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def job_dir(self) -> Path:
        """Only while a run is unfinished: its run id, Scrapy's JOBDIR, the work log
        (crawler/resume/job.py)."""
        return self.root / "job"

    @property
    def lock_path(self) -> Path:
        """The file one run at a time holds a ``flock`` on (crawler/resume/job.py)."""
        return self.root / ".lock"

    @property
    def replay_dir(self) -> Path:
        """pywb's working directory for ``python -m archive replay DIR`` (archive.replay)."""
        return self.root / "replay"

    @property
    def state_db(self) -> Path:
        """The capture state database (crawler/state/store.py) scheduled runs share."""
        return self.state_dir / "captures.sqlite"

    def items_dir(self, run_id: str) -> Path:
        return self.items_root / run_id

    def item_file(self, run_id: str, kind: str) -> Path:
        """A run's file of one kind of item (``articles``, ``sections``)."""
        return self.items_dir(run_id) / ITEM_FILES[kind]

    def report_path(self, run_id: str) -> Path:
        return self.reports_dir / f"{run_id}.json"

    def warc_path(self, filename: str) -> Path:
        """The finished file a CDXJ line or an item pointer names, or ValueError.

        Only a base name in ``warc/`` is followed: a pointer is data read from disk, and a
        path in it must not lead a reader out of the archive or into a file being written.
        """
        if not filename or "/" in filename or "\\" in filename or filename.endswith(OPEN_SUFFIX):
            raise ValueError(f"bad WARC filename {filename!r}")
        return self.warc_dir / filename

    def finished_warcs(self) -> list[Path]:
        return finished_warcs(self.warc_dir)

    def unfinished_warcs(self) -> list[Path]:
        return unfinished_warcs(self.warc_dir)

    def item_files(self) -> list[Path]:
        """Every run's item files (``items/<run_id>/*.jsonl``), in run order."""
        if not self.items_root.is_dir():
            return []
        return sorted(self.items_root.glob("*/*.jsonl"))
