"""`python -m archive <command>`: tools that work on a finished ARCHIVE_DIR.

Each subcommand is one entry in COMMANDS: a function that adds its arguments and a function
that runs it and returns the exit status. New tools (verify, wacz, ...) add an entry and do
not touch the others. Runs in the crawl venv, so nothing here may import Scrapy or pywb.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from archive import qa as qa_cmd
from archive import verify as verify_cmd
from archive import wacz as wacz_cmd
from archive.replay import (
    DEFAULT_COLLECTION,
    INDEX_NAME,
    ReplayError,
    StopSignal,
    WaybackProcess,
    iter_index_entries,
    prepare_collection,
    query_url,
    replay_url,
    start_wayback,
    stop_on_signals,
)

SITE_HOME = "http://sznews.zjol.com.cn/"


@dataclass(frozen=True)
class Command:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# --------------------------------------------------------------------------- replay


def _replay_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("archive_dir", metavar="DIR", type=Path,
                        help="a finished crawl's ARCHIVE_DIR (with warc/ and index.cdxj)")
    parser.add_argument("--port", type=int, default=8080,
                        help="port on 127.0.0.1 (default 8080; 0 picks a free one)")
    parser.add_argument("--collection", default=DEFAULT_COLLECTION,
                        help=f"pywb collection name (default {DEFAULT_COLLECTION})")
    parser.add_argument("--root", type=Path, default=None,
                        help="pywb working directory (default DIR/replay, or a temporary "
                             "directory when DIR is not writable)")
    parser.add_argument("--home", default=SITE_HOME,
                        help=f"URL to suggest opening first (default {SITE_HOME})")


def _replay_root(archive_dir: Path, explicit: Path | None) -> tuple[Path, bool]:
    """DIR/replay keeps the layout next to the data; a read-only archive gets a temp dir."""
    if explicit is not None:
        explicit.mkdir(parents=True, exist_ok=True)
        return explicit, False
    root = archive_dir / "replay"
    try:
        root.mkdir(exist_ok=True)
        probe = root / ".write-test"
        probe.touch()
        probe.unlink()
        return root, False
    except OSError:
        return Path(tempfile.mkdtemp(prefix="sznews-replay-")), True


def _home_capture(index_path: Path, wanted: str) -> tuple[str, str] | None:
    """(url, timestamp) of the wanted page's first capture, else the first HTML page."""
    fallback: tuple[str, str] | None = None
    for _key, stamp, fields in iter_index_entries(index_path):
        url = fields.get("url", "")
        if url == wanted:
            return url, stamp
        if fallback is None and fields.get("mime") == "text/html" and fields.get("status") == "200":
            fallback = (url, stamp)
    return fallback


def cmd_replay(args: argparse.Namespace) -> int:
    """Serve DIR in pywb on 127.0.0.1 until Ctrl-C (or SIGTERM/SIGHUP)."""
    archive_dir: Path = args.archive_dir
    if not archive_dir.is_dir():
        print(f"error: {archive_dir} is not a directory", file=sys.stderr)
        return 2
    root, temporary = _replay_root(archive_dir, args.root)
    wb: WaybackProcess | None = None
    with stop_on_signals():
        try:
            prepare_collection(archive_dir, root, args.collection)
            wb = start_wayback(root, args.port, echo=True, new_session=True)
            home = _home_capture(archive_dir / INDEX_NAME, args.home)
            host = urlsplit(home[0] if home else args.home).netloc
            print(f"\nReplaying {archive_dir} from {root}")
            print(f"  all captures: {query_url(wb.url, args.collection, f'http://{host}/*')}")
            if home:
                url = replay_url(wb.url, args.collection, home[1], home[0], "")
                print(f"  home page:    {url}")
            print("Press Ctrl-C to stop.\n", flush=True)
            status = wb.wait()
            print(f"error: wayback exited on its own with status {status}", file=sys.stderr)
            return 1
        except ReplayError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except (KeyboardInterrupt, StopSignal):
            print("\nstopping wayback", file=sys.stderr)
            return 0
        finally:
            if wb is not None:
                wb.stop()
            if temporary:
                shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- dispatch

COMMANDS: dict[str, Command] = {
    "replay": Command(
        help="browse a finished crawl in pywb (offline, bound to 127.0.0.1)",
        add_arguments=_replay_arguments,
        run=cmd_replay,
    ),
    "verify": Command(help=verify_cmd.HELP, add_arguments=verify_cmd.add_arguments,
                      run=verify_cmd.run),
    "wacz": Command(help=wacz_cmd.HELP, add_arguments=wacz_cmd.add_arguments, run=wacz_cmd.run),
    "qa": Command(help=qa_cmd.HELP, add_arguments=qa_cmd.add_arguments, run=qa_cmd.run),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m archive", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        command.add_arguments(sub.add_parser(name, help=command.help, description=command.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
