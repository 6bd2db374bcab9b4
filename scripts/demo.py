"""`make demo`: serve the replica, crawl it through the proxy path, summarise, show replay.

The replica stands in for the real site, which is unreachable from here; the crawl is the
unchanged `scrapy crawl sznews` a user runs against the real host, pointed at the replica
with the standard `http_proxy` variable. Its whole log goes to ARCHIVE_DIR/crawl.log (the
standard LOG_FILE setting, as in the cron line of docs/operations.md); the console shows only what a
person watching wants: the progress lines and any warning or error, echoed from that file as
it grows, then the summary.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.catalog import catalog_path  # noqa: E402
from archive.history.cli import write_history  # noqa: E402
from archive.layout import DEFAULT_ROOT, ArchiveLayout  # noqa: E402
from crawler.health.judge import summary_line  # noqa: E402
from tests.crawling import FAST, crawl_env  # noqa: E402
from tests.replica.expected import expected_articles  # noqa: E402
from tests.replica.testing import start_replica  # noqa: E402

MARKER = ".made-by-demo"
LOG_NAME = "crawl.log"
# Scrapy's log format: "<date> <time> [<logger>] <LEVEL>: <message>".
_PROGRESS = re.compile(r"\[progress\] INFO: (?P<message>.*)")
_ALERT = re.compile(r"\] (WARNING|ERROR|CRITICAL): ")


def console_line(log_line: str) -> str | None:
    """What the console shows of one log line: a progress line's message, a warning or an
    error whole; nothing of the rest (settings, middleware lists, per-page debug)."""
    progress = _PROGRESS.search(log_line)
    if progress:
        return "  " + progress.group("message")
    if _ALERT.search(log_line):
        return log_line
    return None


def follow(log: Path, crawl: subprocess.Popen) -> int:
    """Echo the crawl's log to the console, filtered, until the crawl exits; its exit code.

    The log is read only up to its last whole line, so a line being written is never cut.
    """
    position = 0
    while True:
        code = crawl.poll()
        try:
            with log.open("rb") as fh:
                fh.seek(position)
                data = fh.read()
        except FileNotFoundError:
            data = b""
        if code is not None:
            data += b"\n"  # the last line, whole or not
        whole = data[: data.rfind(b"\n") + 1]
        position += len(whole)
        for line in whole.decode("utf-8", "replace").splitlines():
            shown = console_line(line)
            if shown is not None:
                print(shown, flush=True)
        if code is not None:
            return code
        time.sleep(0.5)


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} GB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--archive-dir", type=Path, default=Path(DEFAULT_ROOT))
    args = parser.parse_args()
    archive_dir: Path = args.archive_dir.resolve()
    if archive_dir.exists() and any(archive_dir.iterdir()):
        if not (archive_dir / MARKER).exists():
            print(f"{archive_dir} holds an archive the demo did not make; choose another "
                  "--archive-dir or move it away.", file=sys.stderr)
            return 2
        shutil.rmtree(archive_dir)
    archive_dir.mkdir(parents=True, exist_ok=True)
    (archive_dir / MARKER).write_text("this archive was made by `make demo`\n")

    with start_replica(articles=args.articles, seed=args.seed) as replica:
        print(f"Replica of sznews.zjol.com.cn ({args.articles} articles) at {replica.url}, "
              "used as http_proxy.\n", flush=True)
        log = archive_dir / LOG_NAME
        cmd = [sys.executable, "-m", "scrapy", "crawl", "sznews",
               "-s", f"ARCHIVE_DIR={archive_dir}", "-s", "LOG_LEVEL=INFO",
               "-s", f"LOG_FILE={log}",
               # The replica is crawled in seconds: a progress line every second, not every 5.
               "-s", "PROGRESS_INTERVAL=1"]
        for key, value in FAST.items():
            cmd += ["-s", f"{key}={value}"]
        # What a user would type: the venv's scrapy, the same arguments.
        print("$ http_proxy=" + replica.proxy_url + " .venv/bin/scrapy " + " ".join(cmd[3:]),
              flush=True)
        print(f"Progress below; the whole log goes to {log}.", flush=True)
        code = follow(log, subprocess.Popen(cmd, cwd=ROOT, env=crawl_env(replica.proxy_url)))
        expected = len(expected_articles(seed=args.seed, articles=args.articles))
    if code != 0:
        print(f"\nThe crawl failed (exit {code}); its log: {archive_dir / LOG_NAME}",
              file=sys.stderr)
        return code

    layout = ArchiveLayout(archive_dir)
    reports = sorted(layout.reports_dir.glob("*.json"))
    report = json.loads(reports[-1].read_text("utf-8"))
    warcs = layout.finished_warcs()
    size = sum(p.stat().st_size for p in warcs)
    history = write_history(archive_dir)
    print(f"""
Done in {report['duration_seconds']:.1f} s: {report['responses']} responses archived,
{report['articles']} articles (the replica has {expected}) and {report['sections']} sections.
{summary_line(report.get('health') or {'status': 'not judged'}).capitalize()}.

  WARC files   {layout.warc_dir}  ({len(warcs)} file(s), {human_bytes(size)})
  index        {layout.index_path}
  articles     {layout.item_file(report['run_id'], 'articles')}
  sections     {layout.item_file(report['run_id'], 'sections')}
  report       {reports[-1]}
  catalogue    {catalog_path(layout)}
  run history  {history}
  crawl log    {archive_dir / LOG_NAME}

Replay it in pywb (its own environment, made by `make replay-env`):
  make replay-env
  .venv/bin/python -m archive replay {archive_dir}
then open the URL it prints. Or load the WARC files into ReplayWeb.page.

Search it (any substring, Chinese included), or browse it in Datasette beside pywb:
  .venv/bin/python -m archive search {archive_dir} 嵊州
  .venv/bin/python -m archive browse {archive_dir}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
