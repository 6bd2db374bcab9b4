"""The catalogue's cost and speed: search latency over 20,000 articles beside grep, the
update's share of a run's time, build time and size.

Two parts, in one run:

* search: 20,000 synthetic articles (Chinese text drawn like the replica's, in 20 runs,
  some corrected into second versions) catalogued from scratch; then queries of 1 to 6
  characters taken from the text, two-word queries and absent ones, each timed through
  ``archive.catalog.search`` (the top 20, as the CLI, and all hits), beside ``grep -F -c``
  over the item files and beside the scan the gram index replaces (instr over the newest
  rows, the way 1-2 character queries would go without it).
* update: real crawls of the replica (``--crawl`` articles), each timed as a whole, and
  the catalogue update of that run timed alone (the same work the run's end did); then the
  update of a day's run (``--daily`` new articles) into the 20,000-article catalogue.

    python scripts/bench_catalog.py [--articles 20000] [--crawl 2000] [--reps 5]

Results: docs/benchmarks-catalog.json and a printed table.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.catalog import rebuild_catalog, search, update_catalog  # noqa: E402
from archive.catalog.schema import connect  # noqa: E402
from archive.layout import ArchiveLayout  # noqa: E402
from tests.crawling import run_crawl  # noqa: E402
from tests.replica.model import AUTHORS, PARAGRAPHS, SOURCES  # noqa: E402
from tests.replica.testing import start_replica  # noqa: E402

SEED = 22
RUNS = 20
PUNCT = "，，，。。、；：“”《》"


class Writer:
    """Chinese text like a county news site's: the replica's sentences cut into words,
    reassembled, with names, numbers and a long tail of rarer characters (about 3,500
    distinct characters, as in real news text)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        words: list[str] = []
        for para in PARAGRAPHS:
            text = "".join(c for c in para if "\u4e00" <= c <= "\u9fff")
            i = 0
            while i < len(text):
                size = rng.choice((1, 2, 2, 2, 3, 4))
                words.append(text[i:i + size])
                i += size
        self.words = words
        common = sorted({c for p in PARAGRAPHS for c in p if "\u4e00" <= c <= "\u9fff"})
        self.rare = common + [chr(c) for c in range(0x4e00, 0x4e00 + 3500)][::7]

    def sentence(self) -> str:
        parts = []
        for _ in range(self.rng.randint(6, 16)):
            roll = self.rng.random()
            if roll < 0.06:
                parts.append(str(self.rng.randint(1, 2030)))
            elif roll < 0.16:
                parts.append("".join(self.rng.choices(self.rare, k=2)))
            else:
                parts.append(self.rng.choice(self.words))
            if self.rng.random() < 0.12:
                parts.append(self.rng.choice(PUNCT))
        return "".join(parts) + "。"

    def body(self) -> str:
        paras = []
        for _ in range(self.rng.randint(3, 10)):
            paras.append("".join(self.sentence() for _ in range(self.rng.randint(2, 6))))
        return "\n".join(paras)

    def title(self) -> str:
        return "".join(self.rng.choice(self.words) for _ in range(self.rng.randint(4, 7)))


def synthetic_archive(archive: Path, count: int) -> None:
    rng = random.Random(SEED)
    writer = Writer(rng)
    per_run = count // RUNS
    made: list[dict[str, Any]] = []
    for r in range(RUNS):
        run_id = f"2026{(r // 28) + 1:02d}{(r % 28) + 1:02d}T010000Z"
        folder = archive / "items" / run_id
        folder.mkdir(parents=True)
        items = []
        for i in range(per_run):
            n = r * per_run + i
            year = 2005 + n % 20
            url = (f"http://sznews.zjol.com.cn/sznews/system/{year}/{1 + n % 12:02d}/"
                   f"{1 + n % 28:02d}/0{n:08d}.shtml")
            items.append({
                "url": url, "title": writer.title(), "source": rng.choice(SOURCES) or None,
                "author": rng.choice(AUTHORS) or None, "editor": None,
                "published": f"{year}-{1 + n % 12:02d}-{1 + n % 28:02d}T08:00:00+08:00",
                "breadcrumb": ["嵊州新闻网", "新闻频道", rng.choice(["今日嵊州", "乡镇网闻",
                                                                 "越剧之乡", "社会民生"])],
                "body": writer.body(), "images": [], "pages": [url], "related": [],
                "fetched": f"{run_id[:8]}T010000Z", "version": 1,
                "warc": {"filename": "x.warc.gz", "offset": n, "length": 1,
                         "record_id": f"<urn:uuid:{n}>"}})
        # Corrections: a few earlier articles come back as a second version.
        for old in rng.sample(made, min(len(made), per_run // 20)):
            if old["version"] == 1:
                items.append(dict(old, version=2, body=old["body"] + "\n（更正）",
                                  fetched=f"{run_id[:8]}T010000Z"))
                old["version"] = 2
        made += items
        with open(folder / "articles.jsonl", "w", encoding="utf-8") as fh:
            for item in items:
                fh.write(json.dumps(item, ensure_ascii=False) + "\n")


def queries(conn: sqlite3.Connection, rng: random.Random) -> list[str]:
    texts = [r[0] for r in conn.execute(
        "SELECT title || body FROM articles WHERE newest = 1 ORDER BY random() LIMIT 400")]
    out: list[str] = []
    for size in (1, 2, 3, 4, 6):
        for _ in range(6):
            text = rng.choice(texts).replace("\n", "")
            start = rng.randrange(len(text) - size)
            out.append(text[start:start + size])
    out += [f"{out[i]} {out[10 + i]}" for i in range(3)]  # one char and two chars
    out += [f"{out[12 + i]} {out[24 + i]}" for i in range(3)]  # three and six chars
    # The most frequent words of 3 and 4 characters: the most rows to rank by bm25.
    for size in (3, 4):
        counts = Counter(text[i:i + size] for text in texts for i in range(len(text) - size)
                         if "\n" not in text[i:i + size])
        out += [word for word, _ in counts.most_common(2)]
    out += ["量子计算机", "鲲鹏", "qzx"]
    return out


def timed(fn: Any, reps: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(reps):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def bench_search(work: Path, count: int, reps: int) -> dict[str, Any]:
    archive = work / "synthetic"
    began = time.perf_counter()
    synthetic_archive(archive, count)
    made = time.perf_counter() - began
    build, added = timed(lambda: rebuild_catalog(archive), 1)
    catalog = archive / "catalog.sqlite"
    conn = connect(catalog, readonly=True)
    sizes = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
    item_files = [str(p) for p in ArchiveLayout(archive).item_files()]
    item_bytes = sum(Path(p).stat().st_size for p in item_files)
    rows = []
    for q in queries(conn, random.Random(SEED)):
        top, hits = timed(lambda q=q: search(conn, q, limit=20), reps)
        every, all_hits = timed(lambda q=q: search(conn, q, limit=None), reps)
        grep, proc = timed(lambda q=q: subprocess.run(
            ["grep", "-F", "-c", "--", q.split()[0], *item_files], capture_output=True,
            env={"LC_ALL": "C"}), reps)
        row = {"query": q, "chars": len(q), "hits": len(all_hits), "top20_ms": top * 1000,
               "all_ms": every * 1000, "grep_ms": grep * 1000}
        if " " not in q and len(q) < 3:
            scan, _ = timed(lambda q=q: conn.execute(
                "SELECT count(*) FROM articles WHERE newest = 1 AND (instr(title, ?) OR"
                " instr(body, ?) OR instr(source, ?) OR instr(author, ?))",
                (q, q, q, q)).fetchone(), reps)
            row["scan_ms"] = scan * 1000
        rows.append(row)
    conn.close()
    cli, _ = timed(lambda: subprocess.run(
        [sys.executable, "-m", "archive", "search", str(archive), rows[8]["query"], "--json"],
        cwd=ROOT, capture_output=True, check=True), reps)
    return {"articles": count, "versions": added.articles, "generate_s": made,
            "rebuild_s": build, "catalog_bytes": catalog.stat().st_size,
            "item_bytes": item_bytes, "table_bytes": sizes, "cli_wall_ms": cli * 1000,
            "queries": rows}


def bench_update(work: Path, crawl: int, daily: int, reps: int,
                 big_catalog: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"crawl_articles": crawl, "runs": []}
    with start_replica(articles=crawl, seed=SEED) as replica:
        for rep in range(max(1, reps // 2)):
            archive = work / f"crawl-{rep}"
            began = time.perf_counter()
            result = run_crawl(archive, proxy_url=replica.proxy_url, timeout=3600)
            wall = time.perf_counter() - began
            assert result.returncode == 0, result.output[-3000:]
            run_id = result.run_ids[-1]
            (archive / "catalog.sqlite").unlink()
            update, added = timed(lambda a=archive, r=run_id: update_catalog(a, r), 1)
            out["runs"].append({"wall_s": wall, "update_s": update, "articles": added.articles,
                                "share": update / (wall - update)})
    # A day's run (``daily`` new articles) into the 20,000-article catalogue.
    with start_replica(articles=daily, seed=SEED + 1) as replica:
        archive = work / "daily"
        result = run_crawl(archive, proxy_url=replica.proxy_url)
        run_id = result.run_ids[-1]
    shutil.copyfile(big_catalog, archive / "catalog.sqlite")
    update, added = timed(lambda: update_catalog(archive, run_id), 1)
    out["daily"] = {"articles": added.articles, "update_s": update,
                    "catalogue_articles": 20000}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--crawl", type=int, default=2000)
    parser.add_argument("--daily", type=int, default=40)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks-catalog.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-catalog-") as tmp:
        work = Path(tmp)
        found = bench_search(work, args.articles, args.reps)
        updates = bench_update(work, args.crawl, args.daily, args.reps,
                               work / "synthetic" / "catalog.sqlite")
    result = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "machine": f"{platform.machine()} {platform.python_version()} sqlite "
                         f"{sqlite3.sqlite_version}", "search": found, "update": updates}
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", "utf-8")
    report(result)
    return 0


def report(result: dict[str, Any]) -> None:
    s = result["search"]
    print(f"{s['articles']} articles ({s['versions']} versions): rebuild {s['rebuild_s']:.1f} s,"
          f" catalogue {s['catalog_bytes'] / 1e6:.0f} MB for {s['item_bytes'] / 1e6:.0f} MB of"
          f" item files; CLI wall time {s['cli_wall_ms']:.0f} ms")
    print(f"{'query':<16}{'chars':>6}{'hits':>7}{'top20 ms':>10}{'all ms':>9}{'grep ms':>9}"
          f"{'scan ms':>9}")
    for r in s["queries"]:
        scan = f"{r['scan_ms']:9.1f}" if "scan_ms" in r else f"{'':>9}"
        print(f"{r['query']:<16}{r['chars']:>6}{r['hits']:>7}{r['top20_ms']:>10.1f}"
              f"{r['all_ms']:>9.1f}{r['grep_ms']:>9.1f}{scan}")
    top = [r["top20_ms"] for r in s["queries"]]
    print(f"top-20 search: median {statistics.median(top):.1f} ms, max {max(top):.1f} ms;"
          f" grep median {statistics.median(r['grep_ms'] for r in s['queries']):.1f} ms")
    u = result["update"]
    for run in u["runs"]:
        print(f"crawl of {run['articles']} articles: {run['wall_s']:.1f} s, catalogue update "
              f"{run['update_s']:.2f} s = {run['share']:.1%} of the rest of the run")
    d = u["daily"]
    print(f"a day's {d['articles']} new articles into the {d['catalogue_articles']}-article "
          f"catalogue: {d['update_s'] * 1000:.0f} ms")


if __name__ == "__main__":
    sys.exit(main())
