"""``python -m archive catalog DIR``: rebuild the catalogue from every run's items."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from archive.catalog.update import catalog_path, rebuild_catalog
from archive.layout import ArchiveLayout

HELP = "rebuild DIR/catalog.sqlite (search catalogue) from every run's item files"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("archive_dir", metavar="DIR", type=Path, help="an ARCHIVE_DIR")


def items_layout(archive_dir: Path) -> ArchiveLayout | None:
    """DIR's layout, or None (said on stderr) when DIR has no item files to catalogue."""
    layout = ArchiveLayout(archive_dir)
    if not layout.items_root.is_dir():
        print(f"error: {layout.items_root} not found: is {archive_dir} an ARCHIVE_DIR?",
              file=sys.stderr)
        return None
    return layout


def run(args: argparse.Namespace) -> int:
    layout = items_layout(args.archive_dir)
    if layout is None:
        return 2
    began = time.perf_counter()
    added = rebuild_catalog(layout.root)
    print(f"{catalog_path(layout)}: {added.articles} article versions, {added.sections} "
          f"sections ({added.skipped} unreadable lines skipped) in "
          f"{time.perf_counter() - began:.1f}s")
    return 0
