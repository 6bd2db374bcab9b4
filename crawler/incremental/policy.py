"""When an archived article (or image, stylesheet, script) is asked for again.

An adaptive recheck schedule in the manner of Nutch's AdaptiveFetchSchedule and Heritrix's
WaitEvaluator, fitted to a news site: corrections cluster in an article's first days, so an
article is rechecked on every run for ``INCREMENTAL_FRESH_DAYS`` after publication; after
that its interval grows by ``INCREMENTAL_BACKOFF`` each time it comes back unchanged and
halves when it changed, between ``INCREMENTAL_MIN_INTERVAL_DAYS`` and
``INCREMENTAL_MAX_INTERVAL_DAYS``, so every archived article is rechecked at least once per
maximum interval. An archive crawled in one go starts its old articles at an interval that
grows with their age, each spread by a jitter of its own, so they do not all fall due on the
same day. Requisites follow the same rule between the minimum and their own maximum.

Everything here is pure: times are seconds since the epoch, the state is the caller's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import NamedTuple

from crawler.config import FromSettings, setting

DAY = 86400.0
# A run placed at the same hour every day must find yesterday's "due in one day" due.
DUE_SLACK = 0.5 * DAY


class Entry(NamedTuple):
    """A scheduled URL as the state keeps it."""

    url: str
    published: float | None  # articles: publication time; requisites: None
    interval: float  # days
    next_due: float
    last_checked: float
    last_run: str


@dataclass(frozen=True)
class ScheduleConfig(FromSettings):
    # "adaptive", or "all": recheck everything every run, for comparison.
    policy: str = setting("INCREMENTAL_POLICY")
    fresh_days: float = setting("INCREMENTAL_FRESH_DAYS")
    min_interval: float = setting("INCREMENTAL_MIN_INTERVAL_DAYS")
    max_interval: float = setting("INCREMENTAL_MAX_INTERVAL_DAYS")
    requisite_max_interval: float = setting("INCREMENTAL_REQUISITE_MAX_INTERVAL_DAYS")
    backoff: float = setting("INCREMENTAL_BACKOFF")
    full_sweep_days: float = setting("INCREMENTAL_FULL_SWEEP_DAYS")
    full_sweep: bool = setting("INCREMENTAL_FULL_SWEEP")

    def __post_init__(self) -> None:
        if self.policy not in ("adaptive", "all"):
            raise ValueError(
                f"INCREMENTAL_POLICY must be 'adaptive' or 'all', got {self.policy!r}"
            )
        if not 0 < self.min_interval <= self.max_interval:
            raise ValueError(
                "INCREMENTAL_MIN_INTERVAL_DAYS must be > 0 and <= INCREMENTAL_MAX_INTERVAL_DAYS:"
                f" {self.min_interval} / {self.max_interval}"
            )
        if self.requisite_max_interval < self.min_interval:
            raise ValueError("INCREMENTAL_REQUISITE_MAX_INTERVAL_DAYS must be >= the minimum")
        if self.backoff < 1 or self.fresh_days < 0 or self.full_sweep_days < 0:
            raise ValueError(
                "INCREMENTAL_BACKOFF must be >= 1, INCREMENTAL_FRESH_DAYS and "
                "INCREMENTAL_FULL_SWEEP_DAYS >= 0"
            )

    def cap(self, requisite: bool) -> float:
        return self.requisite_max_interval if requisite else self.max_interval


def jitter(url: str) -> float:
    """A number in [0, 1) of the URL's own, the same on every run."""
    digest = hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def is_fresh(config: ScheduleConfig, published: float | None, now: float) -> bool:
    return published is not None and now - published < config.fresh_days * DAY


def is_due(config: ScheduleConfig, entry: Entry | None, now: float, run_id: str) -> bool:
    """Whether a run starting at ``now`` asks for the URL again."""
    if entry is None or config.policy == "all":
        return True
    if entry.last_run == run_id:
        return False  # checked by this run already (before a kill)
    return is_fresh(config, entry.published, now) or entry.next_due <= now + DUE_SLACK


def first_entry(
    config: ScheduleConfig, url: str, published: float | None, now: float, run_id: str,
    requisite: bool = False,
) -> Entry:
    """The schedule of a URL archived for the first time.

    A fresh article comes back next run. An old one starts at a tenth of its age (an article
    unchanged for years rarely changes), and the first wait is spread over half to all of
    that by the URL's jitter, so an archive crawled in one go falls due over many days.
    """
    cap = config.cap(requisite)
    if is_fresh(config, published, now):
        interval = config.min_interval
        wait = interval
    else:
        age = (now - published) / DAY if published is not None else cap
        interval = min(cap, max(config.min_interval, age / 10))
        wait = max(config.min_interval, interval * (0.5 + 0.5 * jitter(url)))
    return Entry(url, published, interval, now + wait * DAY, now, run_id)


def next_entry(
    config: ScheduleConfig, entry: Entry, changed: bool, now: float, run_id: str,
    requisite: bool = False,
) -> Entry:
    """The schedule after a recheck: longer when unchanged, shorter when changed."""
    cap = config.cap(requisite)
    if changed:
        interval = max(config.min_interval, entry.interval / 2)
    else:
        interval = min(cap, entry.interval * config.backoff)
    return Entry(entry.url, entry.published, interval, now + interval * DAY, now, run_id)
