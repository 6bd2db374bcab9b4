"""The command: ``python -m archive qa DIR`` prints the bad pages and a summary line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from archive.durable import replaced_atomically
from archive.qa.pages import QaSetupError
from archive.qa.report import bad_table, summarize, summary_line
from archive.qa.runner import run_qa
from archive.replay.errors import ReplayError
from archive.replay.stopping import StopSignal, stop_on_signals

HELP = ("load every article and section page of a finished ARCHIVE_DIR in headless Chromium "
        "through pywb; report missing resources and live-web leaks")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("archive_dir", metavar="DIR", type=Path,
                        help="a finished crawl's ARCHIVE_DIR (with warc/, index.cdxj, items/), "
                             "or a FILE.wacz made by `python -m archive wacz`")
    parser.add_argument("--sample", metavar="N", type=int, default=None,
                        help="check N pages spread evenly over the archive (default: all)")
    parser.add_argument("--json", metavar="FILE", type=Path, default=None,
                        help="write the summary and every page's row to FILE")
    parser.add_argument("--screenshots", metavar="DIR", type=Path, default=None,
                        help="save a full-page PNG of every checked page in DIR")
    parser.add_argument("--parallel", metavar="N", type=int, default=2,
                        help="pages loaded at once (default 2)")
    parser.add_argument("--timeout", metavar="SECONDS", type=float, default=60.0,
                        help="longest wait for one page to load (default 60)")


def run(args: argparse.Namespace) -> int:
    archive_dir: Path = args.archive_dir
    if not (archive_dir.is_dir() or (archive_dir.is_file() and archive_dir.suffix == ".wacz")):
        print(f"error: {archive_dir} is neither a directory nor a .wacz file", file=sys.stderr)
        return 2
    warnings: list[str] = []
    try:
        with stop_on_signals():
            rows = run_qa(archive_dir, sample=args.sample, screenshots=args.screenshots,
                          parallel=args.parallel, timeout=args.timeout, progress=sys.stderr,
                          warnings=warnings)
    except (QaSetupError, ReplayError) as exc:
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, StopSignal):
        print("\nqa interrupted", file=sys.stderr)
        return 130
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    summary = summarize(rows)
    table = bad_table(rows)
    if table:
        print(table)
    print(summary_line(summary))
    if args.json is not None:
        with replaced_atomically(args.json) as tmp:
            tmp.write_text(json.dumps({"archive": str(archive_dir.resolve()),
                                       "summary": summary, "pages": rows},
                                      ensure_ascii=False, indent=1) + "\n", "utf-8")
    return 0 if summary["bad"] == 0 else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archive qa", description=HELP)
    add_arguments(parser)
    return run(parser.parse_args(argv))
