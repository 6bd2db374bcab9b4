"""The fast lane: which tests are end-to-end, decided from what they call, not from a list.

A test is ``e2e`` when it, a fixture it uses (directly or through other fixtures), or a helper
function of the tests package they call, starts a crawl (``run_crawl``), a replica
(``start_replica``) or the hostile server. Those take seconds to minutes each; everything else
is a unit test and runs in ``make check`` (``pytest -m "not e2e and not slow and not replay"``).
The rule follows the code, so a new test lands in the right lane without anyone listing it,
and ``make test`` still runs every test whatever its marks.

The walk reads each function's code object (the names it loads, nested functions and
lambdas included) and resolves those names in the function's globals: a helper defined in
``tests`` is followed, a heavy starter ends the walk with "e2e".
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from tests.crawling import run_crawl
from tests.hostile import HostileServer
from tests.replica.testing import start_replica

MARK = "e2e"
STARTERS: tuple[object, ...] = (run_crawl, start_replica, HostileServer)


def _code_names(code: types.CodeType) -> Iterable[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_names(const)


def _ours(value: object) -> bool:
    module = getattr(value, "__module__", "") or ""
    return module == "tests" or module.startswith("tests.") or module == "conftest"


class Lanes:
    """Remembers, per function, whether it reaches a starter (helpers are shared widely)."""

    def __init__(self, starters: tuple[object, ...] = STARTERS) -> None:
        self.starters = starters
        self.known: dict[Callable[..., Any], bool] = {}

    def starts_something(self, func: Callable[..., Any]) -> bool:
        func = getattr(func, "__wrapped__", func)
        if func in self.known:
            return self.known[func]
        self.known[func] = False  # a recursive helper does not loop the walk
        code = getattr(func, "__code__", None)
        found = False
        if code is not None:
            scope = getattr(func, "__globals__", {})
            for name in _code_names(code):
                value = scope.get(name)
                if value is None:
                    continue
                if any(value is starter for starter in self.starters):
                    found = True
                    break
                if isinstance(value, types.FunctionType) and _ours(value) and (
                    self.starts_something(value)
                ):
                    found = True
                    break
        self.known[func] = found
        return found

    def is_e2e(self, item: pytest.Item) -> bool:
        function = getattr(item, "function", None)
        if function is not None and self.starts_something(function):
            return True
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            return False
        for name in item.fixturenames:  # the whole closure: fixtures of fixtures too
            for fixturedef in info.name2fixturedefs.get(name, ()):
                if _ours(fixturedef.func) and self.starts_something(fixturedef.func):
                    return True
        return False


def mark_e2e(items: list[pytest.Item]) -> None:
    lanes = Lanes()
    for item in items:
        if lanes.is_e2e(item):
            item.add_marker(MARK)
