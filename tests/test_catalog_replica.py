"""The catalogue of real crawls of the replica: Ctrl-F exactness of `python -m archive search`
on the shared crawl, and the run's end adding new and changed articles day after day."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.__main__ import main
from archive.catalog import rebuild_catalog, update_catalog
from tests.crawling import CrawlResult, run_crawl
from tests.replica.days import corrected_on, run_time
from tests.replica.model import HOST_ROOT
from tests.replica.testing import start_replica

FIELDS = ("title", "body", "source", "author")
ABSENT = ["量子计算机", "鲲", "qq", "zx9", "越剧团长", "2031年", "Ω", "嵊州市长江"]


def newest_items(archive: Path) -> dict[str, dict[str, Any]]:
    newest: dict[str, dict[str, Any]] = {}
    for path in sorted((archive / "items").glob("*/articles.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            item = json.loads(line)
            if item["version"] >= newest.get(item["url"], {"version": 0})["version"]:
                newest[item["url"]] = item
    return newest


def expected(items: dict[str, dict[str, Any]], query: str) -> set[str]:
    """What Ctrl-F on each article finds: every word in one of its fields (Latin letters
    without case)."""
    words = query.lower().split()
    return {url for url, item in items.items()
            if words and all(any(w in (item.get(f) or "").lower() for f in FIELDS)
                             for w in words)}


def found(archive: Path, query: str, capsys: pytest.CaptureFixture[str]) -> set[str]:
    capsys.readouterr()
    assert main(["search", str(archive), query, "--json", "--limit", "0"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == len({r["url"] for r in rows}), "an article came out twice"
    return {r["url"] for r in rows}


def sample_queries(items: dict[str, dict[str, Any]], count: int, seed: int) -> list[str]:
    """Substrings of 1 to 6 characters from titles and bodies, a few of two words."""
    rng = random.Random(seed)
    texts = [item[f] for item in items.values() for f in ("title", "body") if item.get(f)]
    queries: list[str] = []
    while len(queries) < count:
        text = rng.choice(texts).replace("\n", "")
        size = rng.randint(1, 6)
        start = rng.randrange(max(1, len(text) - size))
        query = text[start:start + size].strip()
        if query and " " not in query and query not in queries:
            queries.append(query)
    pairs = [f"{queries[i]} {queries[i + 1]}" for i in range(0, 10, 2)]
    return queries + pairs


def test_search_returns_exactly_what_ctrl_f_finds(crawled: CrawlResult,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    archive = crawled.archive_dir
    assert (archive / "catalog.sqlite").is_file(), "the run's end made no catalogue"
    items = newest_items(archive)
    queries = sample_queries(items, 60, seed=22) + ABSENT
    lengths = {len(q) for q in queries if " " not in q}
    assert lengths >= {1, 2, 3, 4, 5, 6}
    hits = 0
    for query in queries:
        want = expected(items, query)
        assert found(archive, query, capsys) == want, query
        hits += bool(want)
    assert hits >= 55  # the sample is mostly of words that occur
    for query in ABSENT:
        assert not expected(items, query)


# -- day after day ------------------------------------------------------------------------

SEED, ARTICLES, DAILY = 7, 80, 2
DAYS = (5, 6)  # day 6 corrects articles of earlier days and publishes new ones


@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str]]]:
    archive = tmp_path_factory.mktemp("catalog-days")
    corrected: list[str] = []
    for day in DAYS:
        with start_replica(articles=ARTICLES, seed=SEED, day=day, daily=DAILY) as replica:
            result = run_crawl(archive, proxy_url=replica.proxy_url,
                               settings={"ARCHIVE_NOW": run_time(day).isoformat()})
            assert result.returncode == 0, result.output[-5000:]
            corrected = corrected_on(replica.site(), day, HOST_ROOT)
    yield archive, corrected


def rows(archive: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(archive / "catalog.sqlite")
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def test_each_run_adds_its_new_and_changed_articles(two_days: tuple[Path, list[str]],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    archive, corrected = two_days
    run1, run2 = sorted(p.name for p in (archive / "items").iterdir())
    exported = {}
    for run in (run1, run2):
        for line in (archive / "items" / run / "articles.jsonl").read_text("utf-8").splitlines():
            item = json.loads(line)
            exported[(item["url"], item["version"])] = run
    catalogued = {(url, version): run for url, version, run in
                  rows(archive, "SELECT url, version, run_id FROM articles")}
    assert catalogued == exported
    day2 = [key for key, run in exported.items() if run == run2]
    assert any(v == 1 for _, v in day2) and any(v == 2 for _, v in day2), day2
    assert corrected and {(url, 2) for url in corrected} <= set(exported)
    newest = dict(rows(archive, "SELECT url, max(version) FROM articles GROUP BY url"))
    assert sorted(rows(archive, "SELECT url, version FROM articles WHERE newest = 1")) == \
        sorted(newest.items())
    # The reports count what each run's end added.
    for run in (run1, run2):
        stats = json.loads((archive / "reports" / f"{run}.json").read_text("utf-8"))["stats"]
        assert stats["catalog/articles_added"] == sum(r == run for r in exported.values())
    # A corrected article is found by its correction, with its new version and replay.
    items = newest_items(archive)
    for url in corrected:
        body = items[url]["body"]
        correction = body[body.rindex("（更正"):][:12]
        capsys.readouterr()
        assert main(["search", str(archive), correction, "--json", "--limit", "0"]) == 0
        hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        mine = [h for h in hits if h["url"] == url]
        assert mine and mine[0]["version"] == 2 and mine[0]["replay"].startswith("/sznews/")
        assert {h["url"] for h in hits} == expected(items, correction)
    for query in sample_queries(items, 30, seed=6):
        assert found(archive, query, capsys) == expected(items, query), query


def test_rerun_adds_nothing_and_rebuild_matches(two_days: tuple[Path, list[str]]) -> None:
    archive, _ = two_days
    table = "SELECT url, version, newest, run_id, replay, warc_offset FROM articles ORDER BY 1, 2"
    before = rows(archive, table)
    for run in sorted(p.name for p in (archive / "items").iterdir()):
        assert update_catalog(archive, run).articles == 0
    assert rows(archive, table) == before
    rebuild_catalog(archive)
    assert rows(archive, table) == before
