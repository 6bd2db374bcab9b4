"""The recheck schedule's cost and latency: simulated days of scheduled runs, side by side.

Each series crawls the replica's day model (tests/replica/days.py) once a simulated day with
the crawl's clock set to that day (``ARCHIVE_NOW``), into an archive of its own, and counts
what the replica served each day: requests and bytes. Correction latency is the number of
days from a correction to the first run that exports the corrected version.

Series (in one run, so the ratios compare like with like):
  small/adaptive       30 days at 1,400 articles, 20 new a day: the schedule
  small/all            the same days, rechecking every archived article every run (the
                       policy before the schedule, INCREMENTAL_POLICY=all)
  small/no-validators  the schedule on a server that sends no ETag/Last-Modified and a
                       picture box that changes every page every day
  large/adaptive       10 days at 20,000 articles
  large/all            one day at 20,000 articles rechecking everything, for reference

    python scripts/bench_schedule.py [--small 1400] [--large 20000] [--days 30] [--large-days 10]

Results: docs/benchmarks-schedule.json and a section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from statistics import mean
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.benchlib import write_marked  # noqa: E402
from tests.crawling import run_crawl  # noqa: E402
from tests.replica.days import corrected_on, run_time  # noqa: E402
from tests.replica.testing import start_replica  # noqa: E402

SEED, DAILY = 11, 20
DOC = ROOT / "docs" / "benchmarks.md"
JSON_OUT = ROOT / "docs" / "benchmarks-schedule.json"
BEGIN, END = "<!-- schedule-bench:begin -->", "<!-- schedule-bench:end -->"
DAY = 86400.0


def series(name: str, articles: int, days: range, settings: dict[str, str],
           reference_all: bool = False, **replica: Any) -> dict[str, Any]:
    """Run the days of one series; per day: requests, bytes, items, seconds. With
    ``reference_all``, one more day rechecks everything, on the same archive, for reference."""
    out: list[dict[str, Any]] = []
    exported: dict[int, dict[str, int]] = {}  # day -> url -> version
    with tempfile.TemporaryDirectory(prefix=f"bench-{name.replace('/', '-')}-") as tmp:
        archive = Path(tmp) / "archive"
        runs = [(d, settings) for d in days]
        if reference_all:
            runs.append((days[-1] + 1, {**settings, "INCREMENTAL_POLICY": "all"}))
        for d, day_settings in runs:
            with start_replica(articles=articles, seed=SEED, day=d, daily=DAILY,
                               **replica) as server:
                started = time.monotonic()
                result = run_crawl(archive, proxy_url=server.proxy_url, timeout=7200, settings={
                    "ARCHIVE_NOW": run_time(d).isoformat(), "PROGRESS_INTERVAL": "0",
                    "LOG_LEVEL": "WARNING", **day_settings})
                took = time.monotonic() - started
                requests = server.requests()
                site = server.site()
            if result.returncode != 0:
                raise SystemExit(f"{name} day {d} failed:\n{result.output[-3000:]}")
            run = result.run_ids[-1]
            items = result.items("articles", run)
            exported[d] = {i["url"]: i["version"] for i in items}
            out.append({
                "day": d,
                "requests": len(requests),
                "bytes": sum(r.get("bytes") or 0 for r in requests),
                "items": len(items),
                "seconds": round(took, 1),
                "full_sweep": result.report(run)["incremental"].get("full_sweep"),
                "policy": day_settings.get("INCREMENTAL_POLICY", "adaptive"),
            })
            print(f"{name:22} day {d:2}: {len(requests):6} requests, {len(items):5} items, "
                  f"{took:6.1f} s", flush=True)
    latency = correction_latency(site, days, exported)
    reference = [d for d in out if d["policy"] == "all" and reference_all]
    out = [d for d in out if d not in reference]
    return {"name": name, "articles": articles, "days": out, **latency,
            "reference_all_day": reference[0] if reference else None}


def correction_latency(site: Any, days: range, exported: dict[int, dict[str, int]]
                       ) -> dict[str, Any]:
    """Days from each correction to the run that exported it, for fresh (<= 7 days old) and
    older articles; corrections not captured by the last day are counted as pending."""
    published = {site.path(i): site.ts[i] for i in range(site.n)}
    fresh: list[int] = []
    older: list[int] = []
    pending = 0
    for d in days:
        if d == 0:
            continue
        for url in corrected_on(site, d):
            path = url.split("zjol.com.cn", 1)[1]
            age = run_time(d).timestamp() - published[path]
            caught = next((e for e in days if e >= d and url in exported.get(e, {})), None)
            if caught is None:
                pending += 1
                continue
            (fresh if age <= 7 * DAY else older).append(caught - d)
    return {
        "latency_fresh": {"max": max(fresh, default=None), "mean": _mean(fresh),
                          "count": len(fresh)},
        "latency_older": {"max": max(older, default=None), "mean": _mean(older),
                          "count": len(older)},
        "corrections_pending": pending,
    }


def _mean(values: list[int]) -> float | None:
    return round(mean(values), 2) if values else None


def summary(result: dict[str, Any]) -> dict[str, Any]:
    first, rest = result["days"][0], result["days"][1:]
    daily_requests = mean(d["requests"] for d in rest) if rest else None
    reference = result.get("reference_all_day")
    return {
        "reference_all_day_requests": reference["requests"] if reference else None,
        "first_run_requests": first["requests"],
        "mean_daily_requests": round(daily_requests, 1) if daily_requests else None,
        "mean_daily_bytes": round(mean(d["bytes"] for d in rest)) if rest else None,
        "daily_share_of_first": round(daily_requests / first["requests"], 4)
        if daily_requests else None,
    }


def markdown(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [
        BEGIN,
        "## Scheduled runs: cost per day and correction latency (`scripts/bench_schedule.py`)",
        "",
        f"Measured {meta['date']} on {meta['machine']}; replica day model, seed {SEED}, "
        f"{DAILY} new articles a day, corrections of articles 1 and 5 days old every day and "
        "of a years-old one every 7th day, an article filed late every 5th day. Each series "
        "crawls into an archive of its own; requests and bytes are what the replica served.",
        "",
        "| series | articles | days | first run requests | mean daily requests | share of "
        "first | mean daily bytes | latency, fresh (max/mean) | latency, older (max/mean) | "
        "pending |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    lines_after: list[str] = []
    for r in results:
        s = r["summary"]
        if s.get("reference_all_day_requests"):
            lines_after.append(
                f"- {r['name']}: one more day rechecking every archived article (the policy "
                f"before the schedule) asked {s['reference_all_day_requests']} requests, "
                f"{100 * s['reference_all_day_requests'] / s['first_run_requests']:.0f}% of "
                "the first run.")
        share = f"{100 * s['daily_share_of_first']:.1f}%" if s["daily_share_of_first"] else "n/a"
        lf, lo = r["latency_fresh"], r["latency_older"]
        lines.append(
            f"| {r['name']} | {r['articles']} | {len(r['days'])} | {s['first_run_requests']} | "
            f"{s['mean_daily_requests']} | {share} | {s['mean_daily_bytes']} | "
            f"{lf['max']}/{lf['mean']} ({lf['count']}) | {lo['max']}/{lo['mean']} "
            f"({lo['count']}) | {r['corrections_pending']} |"
        )
    lines += ["", *lines_after, "",
              "Targets: mean daily requests at most 15% of the first run at 1,400 articles "
              "and 5% at 20,000; correction latency 0 days for articles at most 7 days old "
              "(with and without validators). A correction of an older article waits for its "
              "recheck, at most `INCREMENTAL_MAX_INTERVAL_DAYS` (90): `pending` counts those "
              "the simulated days did not reach.", END]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=1400)
    parser.add_argument("--large", type=int, default=20000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--large-days", type=int, default=10)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args(argv)
    small_days = range(args.days + 1)
    plan = [
        ("small/adaptive", args.small, small_days, {}, {}),
        ("small/all", args.small, small_days, {"INCREMENTAL_POLICY": "all"}, {}),
        ("small/no-validators", args.small, small_days, {},
         {"no_validators": True, "live_picbox": True}),
    ]
    if not args.skip_large:
        plan.append(("large/adaptive", args.large, range(args.large_days + 1), {},
                     {"reference_all": True}))
    results = []
    for name, articles, days, settings, extra in plan:
        result = series(name, articles, days, settings, **extra)
        result["summary"] = summary(result)
        results.append(result)
        print(json.dumps({"series": name, **result["summary"],
                          "latency_fresh": result["latency_fresh"]}), flush=True)
    meta = {"date": time.strftime("%Y-%m-%d"),
            "machine": f"{platform.machine()}, {platform.python_version()}"}
    JSON_OUT.write_text(json.dumps({"meta": meta, "series": results}, indent=1) + "\n", "utf-8")
    write_marked(DOC, markdown(results, meta), BEGIN, END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
