"""CLI: `python -m tests.replica --port 0 --seed 1 --articles 300 [--grow K] [--correct PATH[,PATH]]
[--day D --daily K] [--no-validators] [--live-picbox] [--variant NAME] [--log F] [--maintenance M]
[--fault SPEC]... [--latency SECONDS]` (fault modes: see tests/replica/faults.py; growth,
corrections and variants: see tests/replica/model.py; days: see tests/replica/days.py)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from .expected import expected_sections, iter_articles
from .model import VARIANTS, Site
from .server import ReplicaServer


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.replica", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--articles", type=int, default=300)
    p.add_argument("--grow", type=int, default=0, metavar="K",
                   help="add K articles newer than all others to the --articles site; existing "
                        "article pages stay byte-identical, hub and list pages list the new ones")
    p.add_argument("--correct", action="append", default=[], metavar="PATH[,PATH]",
                   help="serve these article paths (page 1) corrected: a paragraph appended to "
                        "the last page, new ETag, Last-Modified one day after publication "
                        "(repeatable)")
    p.add_argument("--day", type=int, default=0, metavar="D",
                   help="serve the site as it stands at the end of simulated day D (day 0, "
                        "2025-01-01 +08:00, is the plain site): daily news, corrections and "
                        "late filings of days 1..D (see tests/replica/days.py)")
    p.add_argument("--daily", type=int, default=0, metavar="K",
                   help="new articles a day with --day (default 0)")
    p.add_argument("--no-validators", action="store_true",
                   help="send no ETag and no Last-Modified; never answer 304")
    p.add_argument("--live-picbox", action="store_true",
                   help="the sidebar's 图片新闻 box shows the newest articles, so every page "
                        "changes when news comes in while the articles do not")
    p.add_argument("--variant", choices=sorted(VARIANTS), default="sznews",
                   help="which county site of the platform to serve (host, directory, names of "
                        "the site and its sections): sznews, or the made-up sibling xcnews "
                        "(xcnews.zjol.com.cn/xcnews/...); default sznews")
    p.add_argument("--log", help="append one JSON line per request to this file")
    p.add_argument("--maintenance", action="append", default=[],
                   help="flap=K | stuck=PATH[,PATH] | window=START:DURATION (repeatable)")
    p.add_argument("--fault", action="append", default=[], metavar="SPEC",
                   help="status5xx=RATE[:K] | retry503=RATE[:K[:SECONDS]] | truncate=RATE[:K] | "
                        "slow=RATE[:K[:SECONDS]] | reset=RATE[:K] | burst=START:DURATION | "
                        "malformed=RATE | charset_conflict=RATE | large=COUNT[:MB] | "
                        "large=PATH[,PATH][:MB] | gzipbomb=COUNT (repeatable; off by default)")
    p.add_argument("--latency", type=float, default=0.0, metavar="SECONDS",
                   help="wait SECONDS before the status line of every response (every URL, "
                        "faulted or not; on top of any `slow` fault), per connection: "
                        "concurrent requests wait in parallel (default 0)")
    p.add_argument("--photo-kb", metavar="MIN-MAX",
                   help="serve article photos of MIN..MAX KB (incompressible; default: 1x1 "
                        "JPEGs of a few hundred bytes)")
    p.add_argument("--dump-expected", metavar="DIR",
                   help="write articles.jsonl and sections.jsonl for the real host of the "
                        "variant (http://sznews.zjol.com.cn) and exit")
    args = p.parse_args(argv)
    if not args.latency >= 0:
        p.error(f"--latency must be >= 0 seconds: {args.latency}")
    correct = [c for arg in args.correct for c in arg.split(",") if c]
    photo_kb = None
    if args.photo_kb:
        low, _, high = args.photo_kb.partition("-")
        if not (low.isdigit() and high.isdigit() and 0 < int(low) <= int(high)):
            p.error(f"--photo-kb must be MIN-MAX in KB: {args.photo_kb!r}")
        photo_kb = (int(low), int(high))
    try:
        site = Site(args.seed, args.articles, args.grow, correct, day=args.day,
                    daily=args.daily, variant=VARIANTS[args.variant])
    except ValueError as exc:
        p.error(str(exc))
    if args.dump_expected:
        out = Path(args.dump_expected)
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "articles.jsonl", "w", encoding="utf-8") as fh:
            for item in iter_articles(site):
                fh.write(json.dumps(item, ensure_ascii=False) + "\n")
        with open(out / "sections.jsonl", "w", encoding="utf-8") as fh:
            for sec in expected_sections(site):
                fh.write(json.dumps(sec, ensure_ascii=False) + "\n")
        return 0
    try:
        server = ReplicaServer((args.host, args.port), site, args.maintenance, args.log,
                               injected=args.fault, latency=args.latency,
                               live_picbox=args.live_picbox, no_validators=args.no_validators,
                               photo_kb=photo_kb)
    except ValueError as exc:
        p.error(str(exc))

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    sys.stdout.write(f"READY http://{host}:{port}\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
