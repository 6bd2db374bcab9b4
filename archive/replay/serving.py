"""Serving until told to stop: what ``replay`` and ``browse`` share.

Both start child processes (wayback, and for ``browse`` Datasette too) in a working
directory that is temporary when the archive is read-only, wait on one of them, and stop
them all (and remove a temporary directory) however the command ends: a child exiting on
its own (status 1), a failure to start (2), Ctrl-C, SIGTERM or SIGHUP (0).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Protocol

from archive.layout import ArchiveLayout
from archive.replay.errors import ReplayError
from archive.replay.stopping import StopSignal, stop_on_signals


class Waitable(Protocol):
    def wait(self) -> int: ...


def writable_root(layout: ArchiveLayout, explicit: Path | None = None,
                  prefix: str = "sznews-replay-") -> tuple[Path, bool]:
    """DIR/replay keeps pywb's layout next to the data; a read-only archive gets a temporary
    directory (True: remove it at the end)."""
    if explicit is not None:
        explicit.mkdir(parents=True, exist_ok=True)
        return explicit, False
    root = layout.replay_dir
    try:
        root.mkdir(exist_ok=True)
        probe = root / ".write-test"
        probe.touch()
        probe.unlink()
        return root, False
    except OSError:
        return Path(tempfile.mkdtemp(prefix=prefix)), True


def serve_until_stopped(start: Callable[[ExitStack], Waitable], what: str,
                        stopping: str) -> int:
    """Run ``start`` (it pushes how to undo each thing it starts on the stack, and returns
    the process ``what`` to wait on) until that process exits or the command is stopped."""
    with stop_on_signals(), ExitStack() as stack:
        try:
            status = start(stack).wait()
            print(f"error: {what} exited on its own with status {status}", file=sys.stderr)
            return 1
        except ReplayError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except (KeyboardInterrupt, StopSignal):
            print(f"\nstopping {stopping}", file=sys.stderr)
            return 0
