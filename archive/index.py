"""CDXJ index generation for pywb collections (collections/<c>/indexes/index.cdxj)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from archive.cdxj import sorted_lines
from archive.durable import replaced_atomically
from archive.layout import OPEN_SUFFIX


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
    lines = sorted_lines((p, _relative_name(p, dir_root)) for p in paths)
    with replaced_atomically(Path(out_path)) as tmp, open(tmp, "w", encoding="utf-8") as out:
        out.writelines(lines)
    return sum(1 for line in lines if line.strip())


def _relative_name(path: Path, dir_root: Path | None) -> str:
    if dir_root is None:
        return path.name
    return os.path.relpath(path, dir_root).replace(os.sep, "/")
