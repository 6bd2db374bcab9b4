"""Waiting for an event instead of sleeping for a guess: CI machines are shared and slow."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

GENEROUS = 60.0


def wait_until(
    probe: Callable[[], T], *, timeout: float = GENEROUS, interval: float = 0.02, what: str = ""
) -> T:
    """``probe()``'s first truthy result; AssertionError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what or probe}")
        time.sleep(interval)
