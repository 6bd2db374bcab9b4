"""The recheck schedule: its rules alone, then thirty simulated days of scheduled runs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.incremental.policy import (
    DAY,
    Entry,
    ScheduleConfig,
    first_entry,
    is_due,
    jitter,
    next_entry,
)
from crawler.items import content_key
from tests.crawling import CrawlResult, run_crawl
from tests.replica.days import corrected_on, filed_late_on, new_on, run_time
from tests.replica.expected import expected_articles
from tests.replica.model import Site
from tests.replica.testing import start_replica

NOW = 1_800_000_000.0


def config(**changes: object) -> ScheduleConfig:
    base = {"policy": "adaptive", "fresh_days": 7.0, "min_interval": 1.0, "max_interval": 90.0,
            "requisite_max_interval": 365.0, "backoff": 1.5, "full_sweep_days": 7.0,
            "full_sweep": False}
    return ScheduleConfig(**{**base, **changes})


# -- the rules --------------------------------------------------------------------------------


def test_a_fresh_article_is_due_every_run_for_a_week():
    c = config()
    entry = first_entry(c, "u", NOW - 2 * DAY, NOW, "run1")
    assert entry.interval == 1.0
    for day in range(1, 5):  # 3 to 6 days old
        later = entry._replace(next_due=NOW + 30 * DAY)  # whatever its interval says
        assert is_due(c, later, NOW + day * DAY, f"run{day + 1}")
    assert not is_due(c, entry._replace(next_due=NOW + 30 * DAY), NOW + 6 * DAY, "x")  # 8 days


def test_the_interval_grows_when_unchanged_and_shrinks_when_changed():
    c = config()
    entry = Entry("u", NOW - 100 * DAY, 4.0, NOW, NOW - 4 * DAY, "old")
    unchanged = next_entry(c, entry, False, NOW, "r")
    assert unchanged.interval == 6.0 and unchanged.next_due == NOW + 6 * DAY
    changed = next_entry(c, entry, True, NOW, "r")
    assert changed.interval == 2.0
    floor = next_entry(c, entry._replace(interval=1.0), True, NOW, "r")
    assert floor.interval == 1.0
    cap = next_entry(c, entry._replace(interval=80.0), False, NOW, "r")
    assert cap.interval == 90.0, "every article is rechecked at least once per maximum"
    requisite = next_entry(c, entry._replace(interval=300.0), False, NOW, "r", requisite=True)
    assert requisite.interval == 365.0


def test_an_archive_crawled_in_one_go_falls_due_over_many_days():
    c = config()
    urls = [f"http://h/sznews/system/2010/01/01/{n:09d}.shtml" for n in range(2000)]
    entries = [first_entry(c, u, NOW - 3000 * DAY, NOW, "run1") for u in urls]
    waits = [(e.next_due - NOW) / DAY for e in entries]
    assert min(waits) >= 45 and max(waits) <= 90
    per_day = Counter(int(w) for w in waits)
    assert len(per_day) > 40 and max(per_day.values()) < 2000 / 20
    younger = first_entry(c, urls[0], NOW - 100 * DAY, NOW, "run1")
    assert younger.interval == 10.0, "a tenth of its age"
    assert 0 <= jitter(urls[0]) < 1 and jitter(urls[0]) == jitter(urls[0])


def test_due_with_slack_and_never_twice_in_a_run():
    c = config()
    entry = Entry("u", NOW - 100 * DAY, 1.0, NOW + DAY, NOW, "run1")
    assert is_due(c, entry, NOW + DAY - 3600, "run2"), "yesterday's run was an hour later"
    assert not is_due(c, entry, NOW + 0.4 * DAY, "run2")
    assert not is_due(c, entry._replace(next_due=NOW - DAY), NOW, "run1"), "checked this run"
    assert is_due(config(policy="all"), entry, NOW, "run2")
    assert is_due(c, None, NOW, "run2"), "never archived"


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [("INCREMENTAL_POLICY", "sometimes", "INCREMENTAL_POLICY must be"),
     ("INCREMENTAL_MIN_INTERVAL_DAYS", "0", "must be > 0"),
     ("INCREMENTAL_BACKOFF", "0.5", "INCREMENTAL_BACKOFF must be >= 1")],
)
def test_bad_settings_are_refused(setting, value, message):
    from scrapy.settings import Settings

    with pytest.raises(ValueError, match=message):
        ScheduleConfig.from_settings(Settings({setting: value}))


# -- thirty days ------------------------------------------------------------------------------

SEED, BASE, DAILY = 31, 150, 5
# A short maximum interval, so that "every correction within the maximum" shows in 30 days.
MAX_INTERVAL = 10


@dataclass
class Day:
    number: int
    items: list[dict]
    report: dict
    requests: list[dict]


def simulate(archive: Path, days: range, settings: dict[str, str] | None = None,
             **replica: object) -> tuple[list[Day], Site]:
    out = []
    site = None
    for d in days:
        with start_replica(articles=BASE, seed=SEED, day=d, daily=DAILY, **replica) as server:
            result = run_crawl(archive, proxy_url=server.proxy_url, settings={
                "ARCHIVE_NOW": run_time(d).isoformat(), **(settings or {})})
            requests = server.requests()
            site = server.site()
        assert result.returncode == 0, result.output[-3000:]
        run = result.run_ids[-1]
        out.append(Day(d, result.items("articles", run), result.report(run), requests))
    assert site is not None
    return out, site


@pytest.fixture(scope="module")
def thirty_days(tmp_path_factory) -> tuple[list[Day], Site, Path]:
    archive = tmp_path_factory.mktemp("thirty") / "archive"
    days, site = simulate(archive, range(31),
                          {"INCREMENTAL_MAX_INTERVAL_DAYS": str(MAX_INTERVAL)})
    return days, site, archive


def first_seen(days: list[Day]) -> dict[str, int]:
    seen: dict[str, int] = {}
    for day in days:
        for item in day.items:
            seen.setdefault(item["url"], day.number)
    return seen


def test_every_new_article_is_archived_on_its_day_and_late_ones_within_a_week(thirty_days):
    days, site, _ = thirty_days
    seen = first_seen(days)
    for d in range(1, 31):
        late = set(filed_late_on(site, d))
        for url in set(new_on(site, d)) - late:
            assert seen.get(url) == d, (url, d, seen.get(url))
        for url in late:
            assert url in seen and d <= seen[url] <= d + 7, (url, d, seen.get(url))
    assert set(seen) == {a["url"] for a in expected_articles(site)}


def test_corrections_of_fresh_articles_are_captured_the_same_day(thirty_days):
    days, site, _ = thirty_days
    by_day = {day.number: {i["url"] for i in day.items if i["version"] > 1} for day in days}
    published = {a["url"]: a["published"] for a in expected_articles(site)}
    fresh = 0
    for d in range(1, 31):
        for url in corrected_on(site, d):
            day_start = run_time(d).timestamp() - 23 * 3600
            age = day_start - _epoch(published[url])
            if age <= 7 * DAY:
                fresh += 1
                assert url in by_day[d], (url, d)
    assert fresh >= 40


def test_every_correction_is_captured_within_the_maximum_interval(thirty_days):
    days, site, _ = thirty_days
    captured: dict[str, list[int]] = {}
    for day in days:
        for item in day.items:
            if item["version"] > 1:
                captured.setdefault(item["url"], []).append(day.number)
    old = 0
    for d in range(1, 31 - MAX_INTERVAL):
        for url in corrected_on(site, d):
            assert any(d <= when <= d + MAX_INTERVAL for when in captured.get(url, [])), (url, d)
            old += 1
    assert old >= 30


def test_no_version_without_a_content_change_and_no_article_twice_a_run(thirty_days):
    days, site, _ = thirty_days
    newest: dict[str, tuple[int, str]] = {}
    for day in days:
        urls = Counter(item["url"] for item in day.items)
        assert max(urls.values(), default=1) == 1, day.number
        for item in day.items:
            key = content_key(item)
            before = newest.get(item["url"])
            if before is None:
                assert item["version"] == 1
            else:
                assert item["version"] == before[0] + 1
                assert key != before[1], f"version {item['version']} of {item['url']} is the same"
            newest[item["url"]] = (item["version"], key)
    expected = {a["url"]: a for a in expected_articles(site)}
    final = {url: v for url, (v, _) in newest.items()}
    assert set(final) == set(expected)


def test_a_daily_run_costs_what_changed(thirty_days):
    """Old articles are asked for again once per interval, never less often than the maximum
    and never every day; the cost ratios at realistic sizes are the benchmark's."""
    days, site, _ = thirty_days
    first = len(days[0].requests)
    daily = [len(day.requests) for day in days[1:]]
    assert sum(daily) / len(daily) <= 0.4 * first, (first, daily)
    asked: dict[str, list[int]] = {}
    for day in days:
        for r in day.requests:
            if r["path"].startswith("/sznews/system/") and "_" not in r["path"]:
                asked.setdefault(r["path"], []).append(day.number)
    old = [site.path(i) for i in range(site.base_n)
           if _epoch(site.date(i).isoformat()) < run_time(0).timestamp() - 8 * DAY]
    for path in old:
        when = sorted(set(asked[path]))
        points = [*when, 31]  # the last check must be within the maximum of the end too
        gaps = [b - a for a, b in zip(points, points[1:], strict=False)]
        assert max(gaps) <= MAX_INTERVAL + 1, (path, when)
        assert len(when) <= 1 + 30 // (MAX_INTERVAL // 2), (path, when)
    sweeps = [day.number for day in days if day.report["incremental"]["full_sweep"]]
    assert sweeps[0] == 0 and all(b - a <= 7 for a, b in zip(sweeps, sweeps[1:], strict=False))
    last = days[-1].report["incremental"]
    assert len(last["due_next_days"]) == 7
    assert DAILY <= last["new"] <= DAILY + len(filed_late_on(site, 30))


def test_without_validators_and_with_a_live_picture_box_no_version_is_spurious(tmp_path):
    """Every page's bytes change every day and nothing answers 304: a recheck is a plain GET,
    and only content makes a version."""
    days, site = simulate(tmp_path / "archive", range(9), no_validators=True, live_picbox=True)
    published = {a["url"]: a["published"] for a in expected_articles(site)}
    for day in days[1:]:
        versions = {i["url"]: i["version"] for i in day.items}
        expected_changed = set()
        for url in corrected_on(site, day.number):
            if run_time(day.number).timestamp() - _epoch(published[url]) <= 8 * DAY:
                expected_changed.add(url)
        changed = {url for url, v in versions.items() if v > 1}
        assert expected_changed <= changed, day.number
        assert changed <= set(corrected_on(site, day.number)), day.number
        assert not [r for r in day.requests if r["status"] == 304]


def test_a_fetch_that_failed_for_good_is_asked_first_by_the_next_run(tmp_path):
    archive = tmp_path / "archive"
    faults = ("status5xx=0.3:3",)
    with start_replica(articles=40, seed=SEED, faults=faults) as replica:
        first = run_crawl(archive, proxy_url=replica.proxy_url,
                          settings={"RETRY_TIMES": "1", "RETRY_BACKOFF_BASE": "0"})
    assert first.returncode == 0, first.output[-3000:]
    failed = {f["url"] for f in first.report()["failed_fetches"]}
    assert failed, "the faults made some fetches fail for good"
    state = (archive / "state" / "failed.json").read_text("utf-8")
    assert all(url in state for url in failed)
    with start_replica(articles=40, seed=SEED) as replica:
        second = run_crawl(archive, proxy_url=replica.proxy_url)
        asked = [r["url"] for r in replica.requests()]
    assert second.returncode == 0
    assert failed <= set(asked)
    # Asked first: written down with the highest priority before the walk even starts.
    result = CrawlResult(archive, 0, "")
    urls = {i["url"] for run in result.run_ids for i in result.items("articles", run)}
    assert urls == {a["url"] for a in expected_articles(Site(SEED, 40))}
    assert second.report()["failed_fetches"] == []
    assert second.report()["stats"]["incremental/failed/carried_over"] == len(failed)


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()
