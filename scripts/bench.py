"""`make bench`: throughput, CPU and memory of the archive crawl against the local replica.

Runs, interleaved and repeated, against one replica of N articles (with --latency MS, every
response of the replica waits MS milliseconds before its status line; default none):

  full     this crawler, complete (WARC, items, dedup, index), politeness off
  ceiling  the same walk with WARC writing, item export and dedup off (the Scrapy ceiling)
  wget     `wget --mirror -p --warc-file=... -e robots=on --reject-regex 'calendar\\.shtml'`
           through the replica as http proxy, as asked (HTTP keep-alive on, wget's default)
  wget-nka the same with --no-http-keep-alive (a new connection per page, as many
           mirroring setups end up with)

then the complete crawl once more on a smaller replica (memory against site size) and
offline re-extraction of the first complete run's WARCs.

With --site URL no replica is started: URL is a replica (or copy of the site) you already run,
used like ours as the http proxy for http://sznews.zjol.com.cn/ (it must answer absolute-form
requests for that host, as `python -m tests.replica` does). Its CPU is then not measured (n/a),
and the memory comparison needs a second size: give it with --site-small URL, or it is skipped.

Every measured program runs as a child of this script and is reaped with os.wait4, so CPU
time and peak RSS are the child's own (not the replica's). Results: docs/benchmarks.json
and the tables in docs/benchmarks.md. Standard library plus the project only.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Every measured program runs from a snapshot of the committed tree (`git archive HEAD`), so
# edits made to the working tree while the benchmark runs cannot change or break it.
SRC = Path(os.environ.get("BENCH_SRC") or ROOT)
sys.path.insert(0, str(SRC))

HOST_ROOT = "http://sznews.zjol.com.cn/"
FAST = {
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "AUTOTHROTTLE_ENABLED": "False",
    "PROGRESS_INTERVAL": "0",
    "LOG_LEVEL": "WARNING",
}
CEILING = {
    "WARC_ENABLED": "False",
    "DEDUP_ENABLED": "False",
    # Item export off; the WARC pointer pipeline has nothing to point at without WARCs.
    "ITEM_PIPELINES": "{}",
}
WGET = "/usr/bin/wget"
WGET_ARGS = [
    "--mirror", "-p", "-e", "robots=on", "--reject-regex", r"calendar\.shtml",
    # wget stays on the start host by default (no -H); --no-parent is moot from "/".
    "--no-verbose",
]


# -- processes -------------------------------------------------------------------------------


class Replica:
    """`python -m tests.replica` without a request log (the log would cost the shared CPU)."""

    def __init__(self, articles: int, seed: int, latency_ms: float = 0.0) -> None:
        self.articles = articles
        cmd = [sys.executable, "-m", "tests.replica", "--port", "0", "--seed", str(seed),
               "--articles", str(articles)]
        if latency_ms:
            cmd += ["--latency", repr(latency_ms / 1000)]
        self.proc = subprocess.Popen(cmd, cwd=SRC, env=child_env(None), stdout=subprocess.PIPE,
                                     text=True)
        line: list[str] = []
        t = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()),
                             daemon=True)
        t.start()
        t.join(120)
        if not line or not line[0].startswith("READY "):
            self.proc.kill()
            raise RuntimeError(f"replica did not start: {line!r}")
        self.url = line[0].split()[1]

    def cpu_seconds(self) -> float | None:
        """utime+stime of the replica so far, from /proc (it is not our reaped child yet)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Replica:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def probe_proxy(url: str) -> str | None:
    """None if `url` answers HOST_ROOT's robots.txt as an http proxy (any HTTP status), else
    why not."""
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": url}))
    probe = HOST_ROOT + "robots.txt"
    try:
        with opener.open(probe, timeout=30) as resp:
            resp.read()
    except urllib.error.HTTPError:
        pass  # it answers; what robots.txt holds is the crawl's business
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"{probe} through it as http proxy failed: {exc}"
    return None


class ExternalSite:
    """A replica or site copy someone else runs (`--site URL`), used as the http proxy for
    HOST_ROOT like ours. Not our process: its CPU is not measurable, it is not stopped."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.articles = None
        problem = probe_proxy(self.url)
        if problem:
            raise SystemExit(f"site {url}: {problem}")

    def cpu_seconds(self) -> None:
        return None

    def stop(self) -> None:
        pass

    def __enter__(self) -> ExternalSite:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def replica_cpu_since(replica: Replica | ExternalSite, cpu0: float | None) -> float | None:
    cpu1 = replica.cpu_seconds()
    return None if cpu0 is None or cpu1 is None else round(cpu1 - cpu0, 3)


def measure(cmd: list[str], *, cwd: Path, env: dict[str, str], log: Path,
            time_limit: float | None = None) -> dict[str, Any]:
    """Run `cmd` as our child; wall time, and user+sys and ru_maxrss of that child only."""
    load_before = os.getloadavg()[0]
    with open(log, "wb") as out:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        timer = None
        limited = threading.Event()
        if time_limit:
            def stop() -> None:
                limited.set()
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
            timer = threading.Timer(time_limit, stop)
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if timer:
            timer.cancel()
    return {
        "returncode": proc.returncode,
        "time_limited": limited.is_set(),
        "wall_seconds": round(wall, 3),
        "user_seconds": round(usage.ru_utime, 3),
        "sys_seconds": round(usage.ru_stime, 3),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB
        # 1-minute load average before and after: other work on the machine shows up here.
        "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def child_env(proxy: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    if proxy:
        env["http_proxy"] = proxy
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["BENCH_SRC"] = str(SRC)
    return env


def tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# -- the runs ----------------------------------------------------------------------------------


def scrapy_cmd(archive_dir: Path, settings: dict[str, str]) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "sznews", "-s", f"ARCHIVE_DIR={archive_dir}"]
    for key, value in settings.items():
        cmd += ["-s", f"{key}={value}"]
    return cmd


def run_scrapy(kind: str, archive_dir: Path, replica: Replica | ExternalSite,
               extra: dict[str, str]) -> dict:
    from archive.layout import ArchiveLayout

    settings = {**FAST, **(CEILING if kind == "ceiling" else {}), **extra}
    cmd = scrapy_cmd(archive_dir, settings)
    archive_dir.mkdir(parents=True)
    cpu0 = replica.cpu_seconds()
    result = measure(cmd, cwd=SRC, env=child_env(replica.url),
                     log=archive_dir.parent / f"{archive_dir.name}.log")
    result["replica_cpu_seconds"] = replica_cpu_since(replica, cpu0)
    layout = ArchiveLayout(archive_dir)
    reports = sorted(layout.reports_dir.glob("*.json"))
    report = json.loads(reports[-1].read_text("utf-8")) if reports else {}
    stats = report.get("stats", {})
    result.update(
        pages=report.get("responses", 0),
        articles=stats.get("sznews/articles", report.get("articles", 0)),
        articles_exported=report.get("articles", 0),
        bytes_written=tree_bytes(archive_dir),
        warc_bytes=sum(p.stat().st_size for p in layout.finished_warcs()),
        command="http_proxy=REPLICA " + " ".join(_quote(c) for c in cmd[1:]),
    )
    return result


def count_wget_responses(warc: Path) -> int:
    """Response records in wget's WARC (one gzip member per record; tolerant of a cut tail)."""
    from archive.members import iter_gzip_members

    n = 0
    with open(warc, "rb") as fh:
        for member in iter_gzip_members(fh):
            if member.data is None:
                break
            if b"\r\nWARC-Type: response\r\n" in member.data[:2048]:
                n += 1
    return n


def run_wget(work: Path, replica: Replica | ExternalSite, keepalive: bool,
             time_limit: float | None) -> dict:
    work.mkdir(parents=True)
    args = list(WGET_ARGS)
    if not keepalive:
        args.insert(2, "--no-http-keep-alive")
    cmd = [WGET, *args, f"--warc-file={work / 'wget'}", "-e", "use_proxy=on",
           "-e", f"http_proxy={replica.url}", "-P", str(work / "site"), HOST_ROOT]
    cpu0 = replica.cpu_seconds()
    result = measure(cmd, cwd=work, env=child_env(None), log=work / "wget.log",
                     time_limit=time_limit)
    result["replica_cpu_seconds"] = replica_cpu_since(replica, cpu0)
    warcs = sorted(work.glob("wget*.warc.gz"))
    result.update(
        pages=sum(count_wget_responses(p) for p in warcs),
        bytes_written=tree_bytes(work),
        warc_bytes=sum(p.stat().st_size for p in warcs),
        # wget exits 8 when the server answered some requests with errors (404s etc).
        command=" ".join(_quote(c) for c in cmd).replace(str(work), "OUT")
        .replace(replica.url, "REPLICA"),
    )
    return result


def run_reextract(archive_dir: Path, out: Path) -> dict:
    """Offline re-extraction of a complete run's WARCs, one process: `scrapy reextract`."""
    cmd = [sys.executable, "-m", "scrapy", "reextract", "-s", f"ARCHIVE_DIR={archive_dir}",
           "-s", "LOG_LEVEL=WARNING", "-O", str(out)]
    result = measure(cmd, cwd=SRC, env=child_env(None), log=out.with_suffix(".log"))
    articles = 0
    if out.exists():  # one article a line (sections go to --sections, not given)
        with open(out, "rb") as fh:
            articles = sum(1 for _line in fh)
    result.update(articles=articles,
                  command=" ".join(_quote(c) for c in cmd).replace(sys.executable, "python"))
    wall = result["wall_seconds"] or 1e-9
    result["articles_per_second"] = round(articles / wall, 1)
    result["articles_per_cpu_second"] = round(articles / (result["cpu_seconds"] or 1e-9), 1)
    return result


# -- reporting ---------------------------------------------------------------------------------


def _quote(arg: str) -> str:
    return arg if re.fullmatch(r"[\w@%+=:,./-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"


def derive(run: dict) -> dict:
    pages = run.get("pages") or 0
    run["pages_per_second"] = round(pages / run["wall_seconds"], 1) if pages else 0.0
    run["cpu_ms_per_page"] = round(1000 * run["cpu_seconds"] / pages, 3) if pages else None
    run["cpu_seconds_per_1000_pages"] = run["cpu_ms_per_page"]
    return run


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    import scrapy

    wget = subprocess.run([WGET, "--version"], capture_output=True, text=True).stdout
    return {
        "cpu_model": cpu,
        "nproc": os.cpu_count(),
        "nproc_usable": len(os.sched_getaffinity(0)),
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "scrapy": scrapy.__version__,
        "wget": wget.splitlines()[0] if wget else "missing",
        "loadavg_at_start": os.getloadavg(),
    }


def mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 3) if values else 0.0


def summarise(runs: list[dict]) -> dict[str, dict]:
    by: dict[str, list[dict]] = {}
    for run in runs:
        by.setdefault(run["kind"], []).append(run)
    out = {}
    for kind, rs in by.items():
        out[kind] = {
            "runs": len(rs),
            "pages_per_second": mean([r["pages_per_second"] for r in rs]),
            "cpu_ms_per_page": mean([r["cpu_ms_per_page"] or 0 for r in rs]),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in rs),
            "bytes_written": mean([r["bytes_written"] for r in rs]),
            "pages": mean([r["pages"] for r in rs]),
            # Time to take the whole site; None when a run was stopped by the time limit.
            "wall_seconds": None if any(r.get("time_limited") for r in rs)
            else mean([r["wall_seconds"] for r in rs]),
        }
    return out


def ratios(summary: dict[str, dict]) -> dict[str, Any]:
    full = summary.get("full")
    out: dict[str, Any] = {}
    if not full:
        return out
    for other in ("ceiling", "wget", "wget-nka"):
        s = summary.get(other)
        if not s or not s["pages_per_second"] or not s["cpu_ms_per_page"]:
            continue
        out[f"full/{other}"] = {
            "pages_per_second": round(full["pages_per_second"] / s["pages_per_second"], 3),
            "cpu_per_page": round(full["cpu_ms_per_page"] / s["cpu_ms_per_page"], 3),
        }
        # How many times faster the crawler takes the whole site (each fetches what it finds
        # worth fetching: wget also takes the aliases and repeats the crawler drops).
        if full.get("wall_seconds") and s.get("wall_seconds"):
            out[f"full/{other}"]["finish_speedup"] = round(
                s["wall_seconds"] / full["wall_seconds"], 3)
    return out


def targets(summary: dict, rat: dict, small: dict | None, reext: dict | None,
            cores: int) -> list[dict]:
    t = []
    r = rat.get("full/ceiling")
    if r:
        t.append({"target": "CPU/page of full <= 1.3x ceiling", "value": r["cpu_per_page"],
                  "met": r["cpu_per_page"] <= 1.3})
    for other in ("wget", "wget-nka"):
        r = rat.get(f"full/{other}")
        if r:
            t.append({"target": f"pages/s of full >= 3x {other}",
                      "value": r["pages_per_second"], "met": r["pages_per_second"] >= 3})
            if "finish_speedup" in r:
                t.append({"target": f"full finishes the site >= 3x faster than {other}",
                          "value": r["finish_speedup"], "met": r["finish_speedup"] >= 3})
    full = summary.get("full")
    if full:
        t.append({"target": "peak RSS of full < 300 MB at the large size",
                  "value": full["peak_rss_mb"], "met": full["peak_rss_mb"] < 300})
        if small:
            growth = full["peak_rss_mb"] / small["peak_rss_mb"]
            t.append({"target": "peak RSS large within 20% of small",
                      "value": round(growth, 3), "met": growth <= 1.2})
    if reext:
        per_core = reext["articles_per_second"]  # one process = one core
        t.append({"target": "re-extraction >= 300 articles/s per core", "value": per_core,
                  "met": per_core >= 300})
    return t


LABELS = {
    "full": "(1) crawler, complete",
    "ceiling": "(2) crawler, no WARC/export/dedup",
    "wget": "(3) wget --mirror (keep-alive)",
    "wget-nka": "(3b) wget --mirror --no-http-keep-alive",
    "full-small": "(1) crawler, complete, small site",
}


def site_description(result: dict) -> str:
    small = result.get("small_articles")
    if result.get("site"):
        text = f"`{result['site']}` (given with --site; not started here)"
        if result.get("site_small"):
            text += f"; memory comparison: `{result['site_small']}`"
        return text
    text = f"replica, {result['articles']:,} articles"
    if small:
        text += f" (memory comparison: {small:,})"
    return text + f", seed {result.get('seed', 1)}"


def conditions_table(result: dict) -> list[str]:
    m = result.get("machine", {})
    latency = result.get("latency_ms", 0)
    if result.get("site"):
        latency_text = "whatever the given site adds (not set by this script)"
    else:
        latency_text = (f"{latency:g} ms before every response's status line (replica "
                        "`--latency`)" if latency else "none (0 ms)")
    rows = [
        ("date (UTC)", result.get("date", "")),
        ("commit benchmarked", f"`{result.get('commit', '')[:12]}`"),
        ("CPU", f"{m.get('cpu_model', '?')}, {m.get('nproc', '?')} cores"),
        ("site", site_description(result)),
        ("added latency", latency_text),
        ("repetitions", result.get("reps", "")),
        ("command", f"`{result.get('command', '')}`"),
    ]
    if result.get("small_note"):
        rows.append(("memory comparison", result["small_note"]))
    return ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), ""]


def _cpu(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def markdown_tables(result: dict) -> str:
    lines = conditions_table(result)
    lines += ["| run | rep | pages | wall s | pages/s | CPU s / 1000 pages | peak RSS MB | "
             "bytes written | replica CPU s | load 1m before/after | note |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for run in result["runs"] + ([result["small"]] if result.get("small") else []):
        note = "time-limited" if run.get("time_limited") else ""
        if run.get("returncode") not in (0, None) and not run.get("time_limited"):
            note = f"exit {run['returncode']}"
        lines.append(
            f"| {LABELS.get(run['kind'], run['kind'])} | {run.get('rep', '')} | {run['pages']} | "
            f"{run['wall_seconds']:.1f} | {run['pages_per_second']:.1f} | "
            f"{run['cpu_ms_per_page'] or 0:.2f} | {run['peak_rss_mb']:.0f} | "
            f"{run['bytes_written']:,} | {_cpu(run.get('replica_cpu_seconds', 0))} | "
            f"{'/'.join(str(x) for x in run.get('loadavg_1m', []))} | {note} |")
    lines += ["", "| ratio | pages/s | CPU per page | site finished N x faster |",
              "|---|---|---|---|"]
    for key, r in result["ratios"].items():
        finish = f"{r['finish_speedup']:.2f}" if "finish_speedup" in r else "n/a"
        lines.append(f"| {key} | {r['pages_per_second']:.2f} | {r['cpu_per_page']:.2f} | "
                     f"{finish} |")
    reext = result.get("reextract")
    if reext:
        lines += ["", f"Re-extraction (scrapy reextract): {reext['articles']} articles in "
                  f"{reext['wall_seconds']:.1f} s wall, {reext['cpu_seconds']:.1f} s CPU: "
                  f"**{reext['articles_per_second']:.0f} articles/s** "
                  f"({reext['articles_per_cpu_second']:.0f} per CPU second), "
                  f"peak RSS {reext['peak_rss_mb']:.0f} MB."]
    lines += ["", "| target | value | met |", "|---|---|---|"]
    for t in result["targets"]:
        lines.append(f"| {t['target']} | {t['value']} | {'yes' if t['met'] else '**no**'} |")
    if result.get("small_note"):
        lines.append("| peak RSS large within 20% of small | n/a | not measured (see the memory "
                     "comparison row above) |")
    return "\n".join(lines) + "\n"


# -- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--render":
        # Tables for docs/benchmarks.md from a results file (also a partial one).
        result = json.loads(Path(argv[1] if len(argv) > 1 else ROOT / "docs" /
                                 "benchmarks.json").read_text("utf-8"))
        result["summary"] = summarise(result["runs"])
        result["ratios"] = ratios(result["summary"])
        result["targets"] = targets(result["summary"], result["ratios"], result.get("small"),
                                    result.get("reextract"), 0)
        print(markdown_tables(result))
        return 0
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--articles", type=int, default=20000,
                   help="size of the replica this script starts (ignored with --site)")
    p.add_argument("--small-articles", type=int, default=5000,
                   help="second size for the memory comparison (0: skip; with --site see "
                        "--site-small)")
    p.add_argument("--latency", type=float, default=0.0, metavar="MS",
                   help="milliseconds the replica waits before the status line of every "
                        "response (each connection on its own, so the crawler's 16 "
                        "connections overlap their waits and wget's one does not); also for "
                        "the small replica; default 0. Not with --site")
    p.add_argument("--site", metavar="URL",
                   help="benchmark against a replica or site copy already running at URL "
                        "instead of starting one: URL is the http proxy for "
                        f"{HOST_ROOT} (like `python -m tests.replica`); its CPU is reported "
                        "as n/a, --articles/--seed/--latency do not apply")
    p.add_argument("--site-small", metavar="URL",
                   help="with --site: a smaller site for the memory comparison (without it "
                        "that comparison is skipped)")
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--kinds", default="full,ceiling,wget,wget-nka",
                   help="comma list of full, ceiling, wget, wget-nka")
    p.add_argument("--wget-time-limit", type=float, default=0.0,
                   help="seconds after which the keep-alive wget run is stopped and its rate "
                        "taken (default 0: run to the end, so the time to take the whole site "
                        "can be compared). One connection: with latency L per response it "
                        "fetches at most 1/L pages/s (20 at 50 ms: ~35 min at 20k articles).")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   help="extra Scrapy setting for both crawler runs (experiments)")
    p.add_argument("--no-reextract", action="store_true")
    p.add_argument("--work-dir", type=Path, default=ROOT / "build" / "bench")
    p.add_argument("--json", type=Path, default=ROOT / "docs" / "benchmarks.json")
    p.add_argument("--tables", type=Path, default=None,
                   help="also write the markdown tables to this file")
    args = p.parse_args(argv)
    if not args.latency >= 0:
        p.error("--latency must be >= 0 ms")
    if args.site and args.latency:
        p.error("--latency applies to the replica this script starts; with --site, the given "
                "site's own latency is what is measured")
    if args.site_small and not args.site:
        p.error("--site-small needs --site")
    for opt, url in (("--site", args.site), ("--site-small", args.site_small)):
        if url and not re.match(r"https?://[^/]+/?$", url):
            p.error(f"{opt} wants a proxy URL like http://HOST:PORT, not {url!r}")
        problem = probe_proxy(url) if url else None
        if problem:
            p.error(f"{opt} {url}: {problem}")
    extra: dict[str, str] = dict(s.split("=", 1) for s in args.set)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]

    work: Path = args.work_dir.resolve()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    global SRC
    SRC = work / "src"
    SRC.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(SRC)], input=archive, check=True)
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], check=True,
                            capture_output=True, text=True).stdout.strip()
    small_note = None
    if args.site and not args.site_small and args.small_articles and "full" in kinds:
        small_note = ("skipped: --site gives one size only; pass --site-small URL (a smaller "
                      "site) to compare peak RSS against site size")
    make = "make bench"
    if args.site:
        make += f" SITE={args.site}" + (f" SITE_SMALL={args.site_small}" if args.site_small
                                        else "")
    else:
        make += f" SCALE={args.articles}" if args.articles != 20000 else ""
        make += f" LATENCY={args.latency:g}" if args.latency else ""
    result: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit,
        "machine": machine(),
        "site": args.site,
        "site_small": args.site_small,
        "articles": None if args.site else args.articles,
        "small_articles": None if args.site else args.small_articles,
        "latency_ms": None if args.site else args.latency,
        "reps": args.reps,
        "seed": None if args.site else args.seed,
        "extra_settings": extra,
        "command": make
        + f"  (= .venv/bin/python scripts/bench.py {' '.join(_quote(a) for a in argv)})",
        "runs": [],
    }
    if small_note:
        result["small_note"] = small_note
    runs = result["runs"]

    def log(msg: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)

    def save() -> None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")

    if args.site:
        log(f"site {args.site} (not started here: its CPU is not measured); "
            f"nproc={os.cpu_count()}")
    else:
        log(f"replica of {args.articles} articles, latency {args.latency:g} ms; "
            f"nproc={os.cpu_count()} (replica and crawler share them; nothing pinned)")

    def open_site(small: bool = False) -> Replica | ExternalSite:
        if args.site:
            return ExternalSite(args.site_small if small else args.site)
        return Replica(args.small_articles if small else args.articles, args.seed,
                       args.latency)

    small: dict | None = None
    reext: dict | None = None

    def side_runs() -> None:
        """Memory at the small size and re-extraction, done after repetition 1 (so a cut-short
        benchmark still has them); the large replica keeps running meanwhile, idle."""
        nonlocal small, reext
        if small_note:
            log(f"memory comparison {small_note}")
        elif (args.site_small or args.small_articles) and "full" in kinds:
            size = args.site_small or f"{args.small_articles} articles"
            log(f"{'site' if args.site else 'replica of'} {size}: full ...")
            with open_site(small=True) as replica:
                small = run_scrapy("full", work / "full-small", replica, extra)
            small.update(kind="full-small", rep=1,
                         articles_site=None if args.site else args.small_articles)
            result["small"] = derive(small)
            log(f"  peak RSS {small['peak_rss_mb']} MB at {size}")
            save()

        if not args.no_reextract and (work / "full-1").exists():
            log("re-extraction of full-1 ...")
            reext = run_reextract(work / "full-1", work / "reextract.jsonl")
            result["reextract"] = reext
            log(f"  {reext['articles']} articles, {reext['articles_per_second']} articles/s")

    with open_site() as replica:
        result["replica_url"] = replica.url
        for rep in range(1, args.reps + 1):
            for kind in kinds:
                target = work / f"{kind}-{rep}"
                log(f"rep {rep}: {kind} ...")
                if kind in ("full", "ceiling"):
                    run = run_scrapy(kind, target, replica, extra)
                elif kind == "wget":
                    run = run_wget(target, replica, True, args.wget_time_limit or None)
                elif kind == "wget-nka":
                    run = run_wget(target, replica, False, None)
                else:
                    raise SystemExit(f"unknown kind {kind}")
                run.update(kind=kind, rep=rep)
                runs.append(derive(run))
                log(f"  {run['pages']} pages in {run['wall_seconds']:.1f} s = "
                    f"{run['pages_per_second']:.1f} pages/s, {run['cpu_ms_per_page']} ms CPU/page,"
                    f" peak RSS {run['peak_rss_mb']} MB, exit {run['returncode']}")
                save()
                if kind.startswith("wget"):
                    shutil.rmtree(target / "site", ignore_errors=True)  # the mirror copy
            if rep == 1:
                side_runs()
    result["summary"] = summarise(runs)
    result["ratios"] = ratios(result["summary"])

    result["targets"] = targets(result["summary"], result["ratios"], small, reext,
                                os.cpu_count() or 1)
    result["machine"]["loadavg_at_end"] = os.getloadavg()
    save()
    tables = markdown_tables(result)
    if args.tables:
        args.tables.write_text(tables, "utf-8")
    print(tables)
    return 0


if __name__ == "__main__":
    sys.exit(main())
