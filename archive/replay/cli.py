"""The command: ``python -m archive replay DIR`` serves DIR in pywb until Ctrl-C."""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

from archive.layout import ArchiveLayout
from archive.replay.collection import DEFAULT_COLLECTION, iter_index_entries, prepare_collection
from archive.replay.serving import serve_until_stopped, writable_root
from archive.replay.urls import query_url, replay_url
from archive.replay.wayback import WaybackProcess, start_wayback

HELP = "browse a finished crawl in pywb (offline, bound to 127.0.0.1)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("archive_dir", metavar="DIR", type=Path,
                        help="a finished crawl's ARCHIVE_DIR (with warc/ and index.cdxj)")
    parser.add_argument("--port", type=int, default=8080,
                        help="port on 127.0.0.1 (default 8080; 0 picks a free one)")
    parser.add_argument("--collection", default=DEFAULT_COLLECTION,
                        help=f"pywb collection name (default {DEFAULT_COLLECTION})")
    parser.add_argument("--root", type=Path, default=None,
                        help="pywb working directory (default DIR/replay, or a temporary "
                             "directory when DIR is not writable)")
    parser.add_argument("--home", default=None,
                        help="URL to suggest opening first (default: the first HTML page the "
                             "crawl archived, its start page)")


def home_capture(index_path: Path, wanted: str | None) -> tuple[str, str] | None:
    """(url, timestamp) of the wanted page's first capture, else of the HTML page archived
    first (a crawl's start page), whatever site the archive holds."""
    fallback: tuple[str, str] | None = None
    for _key, stamp, fields in iter_index_entries(index_path):
        url = fields.get("url", "")
        if url == wanted:
            return url, stamp
        html = fields.get("mime") == "text/html" and fields.get("status") == "200"
        if html and (fallback is None or stamp < fallback[1]):
            fallback = (url, stamp)
    return fallback


def run(args: argparse.Namespace) -> int:
    """Serve DIR in pywb on 127.0.0.1 until Ctrl-C (or SIGTERM/SIGHUP)."""
    archive_dir: Path = args.archive_dir
    if not archive_dir.is_dir():
        print(f"error: {archive_dir} is not a directory", file=sys.stderr)
        return 2
    layout = ArchiveLayout(archive_dir)
    root, temporary = writable_root(layout, args.root)

    def start(stack: ExitStack) -> WaybackProcess:
        if temporary:
            stack.callback(shutil.rmtree, root, ignore_errors=True)
        prepare_collection(archive_dir, root, args.collection)
        wb = start_wayback(root, args.port, echo=True, new_session=True)
        stack.callback(wb.stop)
        home = home_capture(layout.index_path, args.home)
        host = urlsplit(home[0] if home else args.home or "").netloc
        print(f"\nReplaying {archive_dir} from {root}")
        if host:
            print(f"  all captures: {query_url(wb.url, args.collection, f'http://{host}/*')}")
        if home:
            url = replay_url(wb.url, args.collection, home[1], home[0], "")
            print(f"  home page:    {url}")
        print("Press Ctrl-C to stop.\n", flush=True)
        return wb

    return serve_until_stopped(start, "wayback", "wayback")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archive replay", description=HELP)
    add_arguments(parser)
    return run(parser.parse_args(argv))
