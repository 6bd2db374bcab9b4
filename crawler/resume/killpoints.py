"""Deterministic crash points for the kill tests: die by SIGKILL after the N-th event.

``ARCHIVE_TEST_KILL_AFTER=warc_write:17`` kills the crawl right after its 17th WARC write
(``item_line``, ``state_commit``, ``index_merge``: the new index written, not in place,
``index_replaced``: in place, pending marks not cleared, likewise);
``warc_url:/xzww/index_1.shtml`` right after the WARC write of the first response whose URL
ends so (archived, its links not followed yet).
Nothing happens without the variable; the kill tests use it to cut a run exactly between two
steps whose order matters (a record on disk but not yet in the state, an item line written
but its version not committed, a page archived but its links not yet written down, ...).
"""

from __future__ import annotations

import os
import signal
import threading

ENV = "ARCHIVE_TEST_KILL_AFTER"
POINTS = ("warc_write", "item_line", "state_commit", "index_merge", "index_replaced")


def _parse(spec: str | None) -> tuple[str, int | str] | None:
    if not spec:
        return None
    name, _, arg = spec.partition(":")
    if name == "warc_url" and arg:
        return name, arg
    if name not in POINTS or not arg.isdigit() or int(arg) < 1:
        raise ValueError(
            f"{ENV} must be one of {', '.join(POINTS)} and a count >= 1, or warc_url:SUFFIX:"
            f" {spec!r}"
        )
    return name, int(arg)


_TARGET = _parse(os.environ.get(ENV))
_counts: dict[str, int] = {}
_lock = threading.Lock()


def reached(point: str) -> None:
    """One more ``point`` event; the process dies here if it is the one the test asked for."""
    if _TARGET is None or _TARGET[0] != point:
        return
    with _lock:
        _counts[point] = _counts.get(point, 0) + 1
        if _counts[point] >= _TARGET[1]:
            os.kill(os.getpid(), signal.SIGKILL)


def written(url: str) -> None:
    """The response of ``url`` is in the WARC; the process dies here if the test asked so."""
    if _TARGET is not None and _TARGET[0] == "warc_url" and url.endswith(str(_TARGET[1])):
        os.kill(os.getpid(), signal.SIGKILL)
