"""The replica day by day: a site that changes the way the real one does between scheduled runs.

`Site(seed, n, day=D, daily=K)` is the site of `Site(seed, n)` as it stands at the end of
simulated day D. Day 0 is 2025-01-01 (+08:00), the day after the newest base article, starting
at the base site's Last-Modified (server.SITE_MTIME): on day 0 the site is the plain one, byte
for byte. Each day d = 1..D brings, at times between 06:00 and 22:00 (+08:00) of that day:
- K new articles, dated that day, in existing columns (newest first in every list);
- corrections (a paragraph appended to the article's last page, new ETag, Last-Modified = the
  correction's time): of one article published the day before (d >= 2), of one published five
  days before (d >= 6), and every 7th day of one base article more than a year old. Every other
  pick prefers a multi-page article, so some corrections sit on a page other than page 1.
  Corrections accumulate: an article corrected twice carries two (different) paragraphs;
- every 5th day, one article filed late: dated 10 to 30 days before d, so it appears under an old
  date, and placed in the column where the most articles are newer (deep in its list, usually
  beyond list page 1), with Last-Modified = its filing time.

Each day draws from its own random stream, and a day only looks at days before it, so the site
of day D+1 is the site of day D plus day D+1's changes (same ids, dates and columns; every page
not listed above stays byte-identical). Only ints are stored per article, as in model.py, so
`Site(seed, 20000, day=10, daily=20)` builds as fast as the plain site.

The crawler's clock: the run of day d should see all of day d and nothing later, so set the clock
to `run_time(d)` (23:00 +08:00 on day d); any time from 22:00 of day d to `day_start(d + 1)`
sees the same site. The server itself does not follow a clock: a replica serves one day (start
another for the next day).
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .model import COLUMN_WEIGHTS, HOST_ROOT, TZ, npages_of

if TYPE_CHECKING:
    from .model import Site

DAY0 = dt.datetime(2025, 1, 1, tzinfo=TZ)
# Day d's publications, corrections and late filings happen within these hours (+08:00).
EVENT_HOURS = (6, 22)
RUN_HOUR = 23
LATE_EVERY, LATE_AGE = 5, (10, 30)  # every 5th day, one article dated 10-30 days back
OLD_EVERY, OLD_AGE = 7, dt.timedelta(days=365)  # every 7th day, one correction of a base article
CORRECTED_AGES = (1, 5)  # days: the ages of the articles corrected every day


def day_start(d: int) -> dt.datetime:
    """Start of simulated day d (midnight +08:00), as an aware UTC datetime."""
    return (DAY0 + dt.timedelta(days=d)).astimezone(dt.UTC)


def run_time(d: int) -> dt.datetime:
    """The clock for the scheduled run of day d: after everything of day d, before day d + 1."""
    return day_start(d) + dt.timedelta(hours=RUN_HOUR)


@dataclass(frozen=True)
class Day:
    """What changed on one day (day 0: the plain site, with any `correct=` corrections)."""

    number: int
    new: range  # articles published that day (index range)
    late: tuple[int, ...]  # articles filed late that day (dated earlier)
    corrected: tuple[int, ...]  # articles corrected that day


def add_days(site: Site, days: int, daily: int, next_id: int) -> list[Day]:
    """Append days 1..`days` to a freshly built site (ids continue from `next_id`); returns
    every day, day 0 included. Called by Site.__init__, which owns the storage."""
    out = [Day(0, range(site.n), (), tuple(sorted(site.corrections)))]
    weights = [COLUMN_WEIGHTS.get(c.key, 2) for c in site.columns]
    for d in range(1, days + 1):
        r = random.Random(f"{site.seed}:day:{d}")
        start = int(DAY0.timestamp()) + d * 86400
        lo, hi = start + EVENT_HOURS[0] * 3600, start + EVENT_HOURS[1] * 3600
        first = site.n
        for t in sorted(r.randrange(lo, hi) for _ in range(daily)):
            next_id += r.randrange(1, 150)
            _append(site, f"{next_id:09d}", t, r.choices(range(len(weights)), weights)[0])
        new = range(first, site.n)
        late: list[int] = []
        if d % LATE_EVERY == 0:
            back = start - r.randint(*LATE_AGE) * 86400
            t = back + r.randrange(EVENT_HOURS[0] * 3600, EVENT_HOURS[1] * 3600)
            next_id += r.randrange(1, 150)
            # Deepest in the list: the column with the most articles newer than t.
            deep = [len(c.articles) - bisect.bisect_right(c.articles, (t, site.n),
                                                          key=site.time_key)
                    for c in site.columns]
            _append(site, f"{next_id:09d}", t, deep.index(max(deep)))
            site.filed[site.n - 1] = r.randrange(lo, hi)
            late.append(site.n - 1)
        picks: list[int] = []
        for age in CORRECTED_AGES:
            if d - age >= 1:
                picks.append(_pick(site, r, out[d - age].new, (d + age) % 2 == 1))
        if d % OLD_EVERY == 0:
            years_old = bisect.bisect_left(site.ts, int((DAY0 - OLD_AGE).timestamp()), 0,
                                           site.base_n)
            picks.append(_pick(site, r, range(years_old), (d // OLD_EVERY) % 2 == 1))
        fixed: list[int] = []
        for i in picks:
            if i >= 0:
                when = dt.datetime.fromtimestamp(r.randrange(lo, hi), TZ)
                site.corrections.setdefault(i, []).append(when)
                fixed.append(i)
        out.append(Day(d, new, tuple(late), tuple(sorted(set(fixed)))))
    return out


def _append(site: Site, aid: str, t: int, c: int) -> None:
    """Add one article at time t to column c, at its place in the column's time order."""
    i = site.n
    site.ids.append(aid)
    site.ts.append(t)
    site.col.append(c)
    site.npages.append(npages_of(site.seed, aid))
    site.by_id[aid] = i
    site.n += 1
    arts = site.columns[c].articles
    arts.insert(bisect.bisect_right(arts, (t, i), key=site.time_key), i)


def _pick(site: Site, r: random.Random, pool: range, multipage: bool) -> int:
    """A seeded article of `pool`, preferring a multi-page (or single-page) one; -1 if empty."""
    if not pool:
        return -1
    for _ in range(64):
        i = pool[r.randrange(len(pool))]
        if (site.npages[i] > 1) == multipage:
            return i
    return pool[r.randrange(len(pool))]


# ---- expectations --------------------------------------------------------------------------
def _day(site: Site, d: int) -> Day:
    if not 0 <= d <= site.day:
        raise ValueError(f"day {d} is not in 0..{site.day}")
    return site.days[d]


def new_on(site: Site, d: int, site_root: str = HOST_ROOT) -> list[str]:
    """Page-1 URLs of the articles that first appear on day d: that day's new articles, then
    any filed late (day 0: every article of the plain site)."""
    day = _day(site, d)
    return [site_root + site.path(i) for i in [*day.new, *day.late]]


def filed_late_on(site: Site, d: int, site_root: str = HOST_ROOT) -> list[str]:
    """Page-1 URLs of the articles filed late on day d (dated 10-30 days earlier)."""
    return [site_root + site.path(i) for i in _day(site, d).late]


def corrected_on(site: Site, d: int, site_root: str = HOST_ROOT) -> list[str]:
    """Page-1 URLs of the articles corrected on day d (by index)."""
    return [site_root + site.path(i) for i in _day(site, d).corrected]


def changed_pages_on(site: Site, d: int, site_root: str = HOST_ROOT) -> list[str]:
    """The existing article pages whose bytes change on day d: the last page of each article
    corrected that day (page 1 only for a single-page article)."""
    return [site_root + site.path(i, site.npages[i]) for i in _day(site, d).corrected]
