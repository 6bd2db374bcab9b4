"""The command: ``python -m archive index DIR`` merges what is pending into ``index.cdxj``;
``--rebuild`` reads every WARC again (an archive whose index or ``index.d`` was lost)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archive.layout import ArchiveLayout
from archive.merge import rebuild_index, update_index

HELP = "bring DIR/index.cdxj up to date (merge), or --rebuild it from every WARC file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("archive_dir", metavar="DIR", type=Path,
                        help="an ARCHIVE_DIR (with warc/)")
    parser.add_argument("--rebuild", action="store_true",
                        help="read every finished WARC again and remake index.d and index.cdxj")


def run(args: argparse.Namespace) -> int:
    layout = ArchiveLayout(args.archive_dir)
    if not layout.warc_dir.is_dir():
        print(f"error: {layout.warc_dir} is not a directory", file=sys.stderr)
        return 2
    update = rebuild_index(layout) if args.rebuild else update_index(layout)
    print(f"{layout.index_path}: {update.mode}; {len(update.merged)} WARC files merged, "
          f"{len(update.made)} read to make their lines"
          + (f", {update.lines} lines" if update.lines is not None else ""))
    return 0
