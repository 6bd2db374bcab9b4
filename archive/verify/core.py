"""The verifier's shared state and results: what the WARC walk found, and what failed."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TextIO

from archive.layout import OPEN_SUFFIX, ArchiveLayout
from archive.verify.findings import (  # noqa: F401 - the package's results, named here too
    INDEXED_TYPES,
    POINTABLE_TYPES,
    Failure,
    RecordInfo,
    Report,
)


class Verifier:
    """What the checks share: the records found, by place and by id, and where damage is.

    The WARC walk fills it; every later check reads it, so the archive is read once.
    """

    def __init__(
        self, archive_dir: Path, *, out: TextIO | None = None, quiet: bool = False,
        since: str | None = None,
    ) -> None:
        self.dir = Path(archive_dir)
        self.layout = ArchiveLayout(self.dir)
        self.report = Report()
        self.out = out
        self.quiet = quiet
        self.records: dict[tuple[str, int], RecordInfo] = {}
        self.by_id: dict[str, list[RecordInfo]] = defaultdict(list)
        self.finished_files: set[str] = set()
        # file name -> offsets where readable records stop being trustworthy (damage)
        self.damaged: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.coarse_refers_to_dates = 0
        # --since RUN_ID (archive/verify/since.py): finished files present but not read, and
        # revisits whose original must be found in the index instead.
        self.since = since
        self.outside: set[str] = set()
        self.unresolved: dict[tuple[str | None, str | None, str | None],
                              list[RecordInfo]] = defaultdict(list)

    def info(self, message: str) -> None:
        if not self.quiet and self.out is not None:
            print(message, file=self.out)

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.dir))
        except ValueError:
            return str(path)

    def where_of(self, info: RecordInfo) -> str:
        return self.rel(self.layout.warc_dir / info.filename)

    # ---------------------------------------------------------------- pointers
    def locate(self, filename: str, offset: int, length: int) -> tuple[RecordInfo | None, str]:
        """The record exactly at (filename, offset, length), else why not."""
        if not filename or "/" in filename or "\\" in filename:
            return None, f"invalid WARC filename {filename!r}"
        if filename in self.outside:
            return None, ""  # an older file, not read by --since: nothing to say about it
        if filename not in self.finished_files:
            if (self.layout.warc_dir / (filename + OPEN_SUFFIX)).exists():
                return None, f"points into unfinished file {filename}{OPEN_SUFFIX}"
            return None, f"points into missing WARC file {filename}"
        info = self.records.get((filename, offset))
        if info is None:
            for start, end in self.damaged.get(filename, []):
                if start <= offset < end:
                    return None, (f"points at {filename}@{offset}, inside a damaged part of "
                                  f"the file ({start}..{end})")
            return None, f"no record starts at {filename}@{offset}"
        if info.length != length:
            return info, (f"length {length} but the record at {filename}@{offset} is "
                          f"{info.length} bytes")
        return info, ""

    # ---------------------------------------------------------------- all
    def run(self) -> Report:
        # The check modules read this class's state, so they import it; not the other way.
        from archive.verify import index, items, pairs, revisits, warcs

        warcs.check_warcs(self)
        pairs.check_pairs(self)
        revisits.check_revisits(self)
        index.check_index(self)
        items.check_items(self)
        return self.report


def verify_archive(archive_dir: Path, *, out: TextIO | None = None, quiet: bool = False,
                   since: str | None = None) -> Report:
    """Run every check on archive_dir (``since``: only what run ``since`` and later runs
    added); progress lines go to `out` unless quiet."""
    return Verifier(archive_dir, out=out, quiet=quiet, since=since).run()
