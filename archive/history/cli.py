"""The `history` subcommand."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archive.durable import replaced_atomically
from archive.history.page import render
from archive.history.runs import read_runs
from archive.layout import ArchiveLayout

HELP = "write the run history page (charts and table of runs) as one self-contained HTML file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("archive_dir", metavar="DIR", help="an ARCHIVE_DIR")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="where to write the page (default: DIR/history.html)")
    parser.add_argument("--last", type=int, metavar="N",
                        help="only the newest N runs (default: every run)")


def write_history(archive_dir: Path, output: Path | None = None,
                  last: int | None = None) -> Path:
    layout = ArchiveLayout(archive_dir)
    if not layout.reports_dir.is_dir():
        raise FileNotFoundError(f"{layout.reports_dir} does not exist: not an ARCHIVE_DIR "
                                "that has finished a run")
    output = Path(output) if output else archive_dir / "history.html"
    runs = read_runs(layout.reports_dir, last)
    page = render(runs, f"Runs of {archive_dir.resolve().name}", output.resolve().parent)
    with replaced_atomically(output) as tmp:
        tmp.write_text(page, "utf-8")
    return output


def run(args: argparse.Namespace) -> int:
    try:
        path = write_history(Path(args.archive_dir), args.output and Path(args.output),
                             args.last)
    except (OSError, ValueError) as exc:
        print(f"python -m archive history: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0
