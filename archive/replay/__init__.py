"""Offline replay of a finished crawl in pywb, driven as a subprocess.

pywb lives in its own virtualenv (`make replay-env`) because it pins brotlipy, which breaks
Scrapy's brotli support; importing it here would poison the crawl environment. So this
package only prepares pywb's on-disk layout and runs `<replay venv>/bin/wayback` as a child
process.

Replay must never reach the network: an archive viewer that silently falls back to the live
site shows things that were never captured. Offline-ness is enforced in three places:

* the generated ``config.yaml`` defines no ``live`` collection, no ``proxy`` mode, no
  ``recorder`` and no remote index or archive sources, and wayback is started without
  ``--live``, ``--record``, ``--proxy`` or ``--autoindex``;
* ``PYWB_CONFIG_FILE`` is pinned to that config, so a stray variable in the user's shell
  cannot substitute another one;
* the child gets no proxy variables (``NO_PROXY=*``): pywb talks to its own internal
  warcserver over HTTP on localhost, and an inherited ``http_proxy`` would route even that
  through a proxy.

One module per concern: ``env`` (the replay venv and a child's environment), ``collection``
(pywb's layout for an ARCHIVE_DIR), ``wayback`` (the running server), ``urls`` (replay and
search URLs, timestamps), ``stopping`` (a child for sure, the command on SIGTERM/SIGHUP),
``errors``, and ``cli``, the command. What other modules use is re-exported here.
"""

from archive.replay.cli import HELP, add_arguments, main, run
from archive.replay.collection import (
    CONFIG_MARKER,
    DEFAULT_COLLECTION,
    iter_index_entries,
    prepare_collection,
)
from archive.replay.env import find_replay_venv, offline_env, replay_venv_dir
from archive.replay.errors import (
    CollectionError,
    ReplayEnvError,
    ReplayError,
    WaybackStartError,
)
from archive.replay.stopping import StopSignal, stop_on_signals
from archive.replay.urls import query_url, replay_url, wayback_timestamp
from archive.replay.wayback import WaybackProcess, free_port, start_wayback

__all__ = [
    "CONFIG_MARKER",
    "DEFAULT_COLLECTION",
    "HELP",
    "CollectionError",
    "ReplayEnvError",
    "ReplayError",
    "StopSignal",
    "WaybackProcess",
    "WaybackStartError",
    "add_arguments",
    "find_replay_venv",
    "free_port",
    "iter_index_entries",
    "main",
    "offline_env",
    "prepare_collection",
    "query_url",
    "replay_url",
    "replay_venv_dir",
    "run",
    "start_wayback",
    "stop_on_signals",
    "wayback_timestamp",
]
