"""CDXJ index generation for pywb collections (collections/<c>/indexes/index.cdxj)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from archive.cdxj import file_lines
from archive.layout import OPEN_SUFFIX
from archive.merge import merge_files
from archive.sidecars import unique_sorted


def write_cdxj_index(
    warc_paths: Iterable[Path], out_path: Path, *, dir_root: Path | None = None
) -> int:
    """Index finished WARC files into one sorted CDXJ file, replacing out_path atomically.

    Atomic replacement matters because pywb may be reading the index while we rebuild it.
    `filename` in each line is the WARC's base name (or its path relative to dir_root), which
    is how pywb resolves it against the collection's archive directory. Lines are made from
    headers only (``archive.cdxj``): no payload is decoded, whatever its Content-Encoding.
    """
    paths = [Path(p) for p in warc_paths]
    for path in paths:
        if path.name.endswith(OPEN_SUFFIX):
            raise ValueError(f"refusing to index a file still being written: {path}")
        if not path.is_file():
            raise FileNotFoundError(path)
    # One file's lines in memory at a time, sorted into a part; the parts merged in a stream
    # (archive.merge): memory bounded by the biggest WARC, not by the archive.
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".index-", dir=out_path.parent) as work:
        parts = []
        for n, path in enumerate(paths):
            part = Path(work) / f"{n:08d}.cdxj"
            part.write_text("".join(unique_sorted(file_lines(path, _relative_name(
                path, dir_root)))), "utf-8")
            parts.append(part)
        return merge_files(parts, out_path)


def _relative_name(path: Path, dir_root: Path | None) -> str:
    if dir_root is None:
        return path.name
    return os.path.relpath(path, dir_root).replace(os.sep, "/")
