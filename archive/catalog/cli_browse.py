"""``python -m archive browse DIR``: the catalogue in Datasette, its replay links in pywb.

Both servers are children bound to 127.0.0.1: pywb from the replay venv (as ``replay``
starts it) and Datasette from this interpreter, with our metadata (archive.catalog.
browse_config) and plugin (``datasette_plugins/``). Both stop with the command.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from archive.catalog.browse_config import DATABASE, metadata
from archive.catalog.cli_catalog import items_layout
from archive.catalog.update import catalog_path, rebuild_catalog
from archive.replay.collection import DEFAULT_COLLECTION, prepare_collection
from archive.replay.env import REPO_ROOT
from archive.replay.errors import ReplayError
from archive.replay.serving import serve_until_stopped, writable_root
from archive.replay.stopping import stop_process
from archive.replay.wayback import LOCALHOST, free_port, start_wayback

HELP = "browse and search the catalogue in Datasette, with replay links into pywb"
PLUGINS_DIR = Path(__file__).resolve().parent / "datasette_plugins"
READY_TIMEOUT = 60.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("archive_dir", metavar="DIR", type=Path, help="an ARCHIVE_DIR")
    parser.add_argument("--port", type=int, default=8001,
                        help="Datasette's port on 127.0.0.1 (default 8001; 0 picks a free one)")
    parser.add_argument("--replay-port", type=int, default=0,
                        help="pywb's port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--collection", default=DEFAULT_COLLECTION,
                        help=f"pywb collection name (default {DEFAULT_COLLECTION})")


def start_datasette(catalog: Path, meta: Path, port: int) -> tuple[subprocess.Popen, str]:
    """Datasette on 127.0.0.1:port, returned once it answers."""
    port = port or free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), NO_PROXY="*", no_proxy="*")
    for key in [k for k in env if k.lower().endswith("_proxy") and k.lower() != "no_proxy"]:
        del env[key]
    cmd = [sys.executable, "-m", "datasette", "serve", str(catalog), "--host", LOCALHOST,
           "--port", str(port), "--metadata", str(meta), "--plugins-dir", str(PLUGINS_DIR),
           "--setting", "sql_time_limit_ms", "5000", "--setting", "facet_time_limit_ms", "1000",
           "--setting", "default_page_size", "20"]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL)
    url = f"http://{LOCALHOST}:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ReplayError(f"datasette exited with status {proc.returncode}")
        try:
            with opener.open(f"{url}/-/versions.json", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.1)
    stop_process(proc, 5)
    raise ReplayError(f"datasette did not answer on {url} within {READY_TIMEOUT:.0f}s")


def run(args: argparse.Namespace) -> int:
    layout = items_layout(args.archive_dir)
    if layout is None:
        return 2
    catalog = catalog_path(layout)
    if not catalog.is_file():
        print(f"{catalog} missing: building it from the item files", flush=True)
        rebuild_catalog(layout.root)
    root, temporary = writable_root(layout, prefix="sznews-browse-")

    def start(stack: ExitStack) -> subprocess.Popen:
        if temporary:
            stack.callback(shutil.rmtree, root, ignore_errors=True)
        prepare_collection(layout.root, root, args.collection)
        wb = start_wayback(root, args.replay_port, new_session=True)
        stack.callback(wb.stop)
        meta = root / "datasette-metadata.json"
        meta.write_text(json.dumps(metadata(wb.url), ensure_ascii=False), "utf-8")
        datasette, url = start_datasette(catalog, meta, args.port)
        stack.callback(stop_process, datasette, 10)
        print(f"\nBrowsing {catalog.name} of {layout.root}\n"
              f"  search:   {url}/{DATABASE}/search\n"
              f"  articles: {url}/{DATABASE}/articles\n"
              f"  replay:   {wb.url}/{args.collection}/\n"
              f"Browse: {url}/\nPress Ctrl-C to stop.\n", flush=True)
        return datasette

    return serve_until_stopped(start, "datasette", "datasette and wayback")
