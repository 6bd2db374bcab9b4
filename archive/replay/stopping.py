"""Stopping what replay starts, for sure: a child process, and the command itself on a signal
(SIGINT, SIGTERM and SIGHUP as an exception, so that its cleanup runs)."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


class StopSignal(Exception):
    """SIGTERM/SIGHUP as an exception, so that wayback (and a browser) are stopped."""


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGINT/SIGTERM/SIGHUP into StopSignal while wayback serves.

    wayback runs in its own session (so Ctrl-C does not make it print a traceback); without
    this, a `kill` of the CLI would skip the cleanup and leave wayback running on its port.
    SIGINT is caught here too, not left to Python's default: a process started in the
    background by a shell (a CI step, `cmd &`) inherits SIGINT ignored, and Ctrl-C sent to it
    would do nothing.
    """

    def handler(signum: int, _frame: object) -> None:
        raise StopSignal(signal.Signals(signum).name)

    stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, handler) for sig in stops}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def stop_process(proc: subprocess.Popen, timeout: float) -> None:
    """Terminate a child politely, then kill it; a child already gone is left alone."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
