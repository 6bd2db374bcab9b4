from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.crawling import CrawlResult, run_crawl
from tests.lanes import mark_e2e
from tests.replica.testing import Replica, start_replica

SEED = 7
ARTICLES = 80


@pytest.fixture(scope="session")
def replica(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replica]:
    log = tmp_path_factory.mktemp("replica") / "requests.jsonl"
    with start_replica(articles=ARTICLES, seed=SEED, log_path=log) as server:
        yield server


@pytest.fixture(scope="session")
def crawled(replica: Replica, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    """One full crawl of the replica through the proxy path, shared by the end-to-end tests."""
    archive_dir = tmp_path_factory.mktemp("archive")
    result = run_crawl(archive_dir, proxy_url=replica.proxy_url)
    assert result.returncode == 0, result.output[-5000:]
    return result


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks the tests that start a crawl, a replica or a server ``e2e`` (tests/lanes.py)."""
    mark_e2e(items)
