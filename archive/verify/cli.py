"""The command: ``python -m archive verify DIR`` prints progress, notes and failures."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from archive.layout import INDEX_NAME
from archive.verify.core import verify_archive

HELP = "check a finished ARCHIVE_DIR: WARC integrity, digests, pairs, index and item pointers"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("archive_dir", metavar="DIR", type=Path,
                        help="a finished crawl's ARCHIVE_DIR (with warc/, index.cdxj, items/)")
    parser.add_argument("--since", metavar="RUN_ID",
                        help="check only the WARC files and items of run RUN_ID and later "
                        "runs (older files are not read)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print only failures and the summary line")


def run(args: argparse.Namespace) -> int:
    archive_dir: Path = args.archive_dir
    if not archive_dir.is_dir():
        print(f"error: {archive_dir} is not a directory", file=sys.stderr)
        return 2
    out = sys.stdout
    try:
        report = verify_archive(archive_dir, out=out, quiet=args.quiet, since=args.since)
    except ValueError as exc:  # a bad --since
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        for note in report.notes:
            print(f"note: {note}", file=out)
        print(f"{INDEX_NAME}: {report.index_lines} lines", file=out)
    if report.failures:
        print(f"\nFAILURES ({len(report.failures)}):", file=out)
        for failure in report.failures:
            print(f"  {failure}", file=out)
    print(report.summary(), file=out)
    return 0 if report.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archive verify", description=HELP)
    add_arguments(parser)
    return run(parser.parse_args(argv))
