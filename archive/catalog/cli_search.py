"""``python -m archive search DIR "query"``: Ctrl-F over the archive's newest articles."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from archive.catalog.schema import connect
from archive.catalog.search import Filters, search
from archive.catalog.update import catalog_path
from archive.layout import ArchiveLayout

HELP = "find articles by any text (Chinese substrings, several words mean all of them)"
_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _date(value: str) -> str:
    if not _DATE_RE.match(value):
        raise argparse.ArgumentTypeError(f"not a date (YYYY, YYYY-MM or YYYY-MM-DD): {value!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("archive_dir", metavar="DIR", type=Path, help="an ARCHIVE_DIR")
    parser.add_argument("query", help="text to find; words separated by spaces must all occur")
    parser.add_argument("--limit", type=int, default=20, help="at most N results (default 20;"
                        " 0 for all)")
    parser.add_argument("--since", type=_date, help="published on or after DATE")
    parser.add_argument("--until", type=_date, help="published on or before DATE")
    parser.add_argument("--section", help="in the section (any breadcrumb level) named NAME")
    parser.add_argument("--json", action="store_true", help="one JSON object a line")


def run(args: argparse.Namespace) -> int:
    path = catalog_path(ArchiveLayout(args.archive_dir))
    try:
        conn = connect(path, readonly=True)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    since = args.since
    until = args.until
    try:
        hits = search(conn, args.query, limit=args.limit or None,
                      filters=Filters(since, until, args.section))
    finally:
        conn.close()
    for hit in hits:
        if args.json:
            print(json.dumps(hit.to_json(), ensure_ascii=False))
        else:
            date = (hit.published or "")[:10]
            version = f" (v{hit.version})" if hit.version > 1 else ""
            print(f"{date}  {hit.title}{version}\n    {hit.snippet}\n    {hit.url}\n"
                  f"    replay: {hit.replay}")
    if not args.json:
        print(f"{len(hits)} result(s)", file=sys.stderr)
    return 0
