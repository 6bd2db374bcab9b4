"""The fast lane's rule (tests/lanes.py): what starts a crawl or a server is e2e, through
helpers and fixtures, and nothing else is."""

from __future__ import annotations

import pytest

from tests.crawling import run_crawl
from tests.lanes import Lanes


def _crawls(path):
    return run_crawl(path)


def _through_a_helper(path):
    return [_crawls(path) for _ in range(1)]  # inside a comprehension, a code object of its own


def _pure(value):
    return sorted(value)


def _recursive(n):
    return _recursive(n - 1) if n else _pure([n])


@pytest.mark.parametrize(("func", "e2e"), [
    (_crawls, True), (_through_a_helper, True), (_pure, False), (_recursive, False),
])
def test_a_function_is_e2e_when_it_reaches_a_starter(func, e2e: bool) -> None:
    assert Lanes().starts_something(func) is e2e


def test_the_shared_crawl_and_replica_fixtures_are_e2e_and_unit_tests_are_not() -> None:
    from tests import conftest, test_extract

    lanes = Lanes()
    assert lanes.starts_something(conftest.crawled)
    assert lanes.starts_something(conftest.replica)
    unit = [getattr(test_extract, n) for n in dir(test_extract) if n.startswith("test_")]
    assert unit and not any(lanes.starts_something(f) for f in unit)


def test_this_test_is_in_the_fast_lane(request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("e2e") is None


def test_a_test_whose_fixture_reaches_a_crawl_is_marked(
    request: pytest.FixtureRequest, crawl_helper
) -> None:
    assert request.node.get_closest_marker("e2e") is not None


@pytest.fixture
def crawl_helper():
    """Hands out a helper that crawls, without crawling: the rule reads code, it runs none."""
    return _crawls
