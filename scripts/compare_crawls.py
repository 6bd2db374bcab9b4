"""Crawl the replica from two checkouts and show that items, WARC records and reports agree.

    python scripts/compare_crawls.py [--base REV] [--head REV] [--articles N] [--control]

A refactor that moves code must not change what a crawl writes. This script makes a
``git worktree`` of ``--base`` (default: where this branch left main), starts one replica
(tests/replica) and crawls it with ``scrapy crawl sznews`` from that checkout and from this
one (or a worktree of ``--head``), one request at a time, then compares:

- item files, line for line (sorted), byte for byte once what differs between any two
  crawls is replaced: the run id, the time a page was fetched (``fetched``), and each
  item's WARC pointer (file name, offset, length, record id) by the type and URI of the
  record it points at;
- WARC records as a sorted list (the crawl order is not deterministic: the spider's walk
  of equal-priority requests and the writer thread's timing vary): their headers without
  WARC-Record-ID, WARC-Date, the digests and names that depend on them (block digest, file
  name; warcinfo/concurrent/refers-to ids become the type and URI of the record they
  name), and their blocks byte for byte, except the HTTP ``Date`` header the replica
  sends, a request's ``Referer`` (the page that linked it first) and the run id;
- reports, with the fields that measure time, or the compressed size of records whose ids
  and dates are random, removed (``VOLATILE``), ARCHIVE_DIR's path replaced, and lists of
  strings (example URLs, listed in the order pages came back) sorted.

Both crawls run with one ``PYTHONHASHSEED``. ``--control`` first crawls the base twice and
compares those two crawls the same way: it shows that what is compared is deterministic,
so a difference between base and head is the code's; report fields that differ between
those two crawls of one tree, and those known to follow the order pages came back in
(``ORDER_DEPENDENT``), are named and left out of the base/head comparison.

Exit status 0 when everything agrees; otherwise the first differences are printed.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.crawling import FAST, crawl_env  # noqa: E402
from tests.replica.testing import start_replica  # noqa: E402

# One request at a time: fewer orders to tell apart (records and lines are compared sorted).
SERIAL = {"CONCURRENT_REQUESTS": "1", "CONCURRENT_ITEMS": "1"}
DROPPED_HEADERS = {"WARC-Record-ID", "WARC-Date", "WARC-Block-Digest", "WARC-Filename",
                   "WARC-Refers-To-Date"}
ID_HEADERS = {"WARC-Warcinfo-ID", "WARC-Concurrent-To", "WARC-Refers-To"}
# Report keys (anywhere in it) that measure time or depend on random ids' compressed size.
VOLATILE = re.compile(
    r"^(started|finished|elapsed.*|duration.*|clock|next_full_sweep|run_id|bytes|"
    r"start_time|finish_time|elapsed_time_seconds|memusage/.*|warc/bytes|"
    r"incremental/clock|incremental/next_full_sweep|log_count/.*|.*_seconds|.*time|"
    r".*_per_minute)$")


def crawl(tree: Path, archive: Path, proxy: str) -> None:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "sznews", "-s", f"ARCHIVE_DIR={archive}"]
    for key, value in {**FAST, **SERIAL}.items():
        cmd += ["-s", f"{key}={value}"]
    # Sets of URLs are walked in hash order: one seed, or two crawls of one tree differ.
    env = {**crawl_env(proxy), "PYTHONHASHSEED": "0"}
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=1200)
    if proc.returncode != 0:
        raise SystemExit(f"crawl from {tree} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


def warc_records(archive: Path) -> tuple[list[str], dict[str, str], dict[tuple[str, int], str]]:
    """Each record normalised to text (sorted), and what each is (type and target URI) by
    record id and by (file, offset): ids and places differ between crawls, this does not."""
    raw = []
    by_id: dict[str, str] = {}
    by_place: dict[tuple[str, int], str] = {}
    for path in sorted((archive / "warc").glob("*.warc.gz")):
        with path.open("rb") as fh:
            records = ArchiveIterator(fh)
            for record in records:
                headers = record.rec_headers
                what = f"{headers.get_header('WARC-Type')} {headers.get_header('WARC-Target-URI')}"
                by_id[headers.get_header("WARC-Record-ID")] = what
                by_place[(path.name, records.get_record_offset())] = what
                http = record.http_headers.to_bytes() if record.http_headers else b""
                raw.append((headers.headers, http + record.raw_stream.read()))
    run_ids = sorted(p.name for p in (archive / "items").iterdir())
    out = []
    for headers, block in raw:
        lines = []
        for name, value in headers:
            if name in DROPPED_HEADERS:
                continue
            if name in ID_HEADERS:
                value = f"<{by_id.get(value, 'elsewhere')}>"
            lines.append(f"{name}: {value}")
        body = block
        for run_id in run_ids:
            body = body.replace(run_id.encode(), b"<run>")
        body = re.sub(rb"(?im)^date: [^\r\n]*", b"date: <date>", body)
        # Which page linked a URL first depends on the order pages came back in.
        referer = re.compile(rb"(?im)^referer: [^\r\n]*")
        if referer.search(body):
            body = referer.sub(b"referer: <page>", body)
            lines = [line for line in lines if not line.startswith("Content-Length:")]
        out.append("\n".join(lines) + "\n\n" + body.decode("latin-1"))
    return sorted(out), by_id, by_place


def normalised_items(archive: Path, by_id: dict[str, str],
                     by_place: dict[tuple[str, int], str]) -> dict[str, list[str]]:
    files: dict[str, list[str]] = {}
    for run_dir in sorted((archive / "items").iterdir()):
        for path in sorted(run_dir.glob("*.jsonl")):
            lines = []
            for line in path.read_text("utf-8").splitlines():
                data = json.loads(line)
                warc = data.get("warc")
                if isinstance(warc, dict):
                    place = (warc.get("filename"), warc.get("offset"))
                    data["warc"] = by_place.get(place, by_id.get(warc.get("record_id"), "?"))
                if "fetched" in data:  # when the page was fetched: timing
                    data["fetched"] = "<time>"
                text = json.dumps(data, ensure_ascii=False)
                lines.append(text.replace(run_dir.name, "<run>"))
            files[path.name] = sorted(lines)
    return files


def flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flat(item, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value}


def strip_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_volatile(v) for k, v in value.items() if not VOLATILE.match(k)}
    if isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            return sorted(value)  # URLs named as examples, in the order pages came back
        return [strip_volatile(v) for v in value]
    return value


def reports(archive: Path) -> list[dict[str, Any]]:
    return [flat(strip_volatile(json.loads(p.read_text("utf-8").replace(str(archive),
                                                                        "<archive>"))))
            for p in sorted((archive / "reports").glob("*.json"))]


# Report fields that depend on the order pages came back in, which no setting fixes: which
# page linked a URL first (the request's Referer, so request_bytes; already_requested), how
# many pages showed a block before it counted as the template's (template_links), and the
# first few URLs named as examples of a share (quality's *examples).
ORDER_DEPENDENT = re.compile(
    r"^(stats\.)?(dedup[./]links/already_requested|dedup[./]template_links/.*|"
    r"downloader/request_bytes)$|^quality\..*examples.*$")


def report_noise(a: Path, b: Path) -> set[str]:
    """Report fields that differ between two crawls of one tree (the control), and those
    known to follow the crawl's order."""
    fields = {key for report in (*reports(a), *reports(b)) for key in report}
    return {key for key in fields if ORDER_DEPENDENT.match(key)} | {
        key for x, y in zip(reports(a), reports(b), strict=False)
        for key in set(x) | set(y) if x.get(key) != y.get(key)}


def first_difference(name: str, a: list[str], b: list[str]) -> list[str]:
    if a == b:
        return []
    only_a = sorted(set(a) - set(b))
    only_b = sorted(set(b) - set(a))
    problems = [f"{name}s: {len(a)} in base, {len(b)} in head; {len(only_a)} only in base, "
                f"{len(only_b)} only in head"]
    if only_a:
        problems.append(f"first only in base:\n{only_a[0][:1500]}")
    if only_b:
        problems.append(f"first only in head:\n{only_b[0][:1500]}")
    return problems


def compare(base: Path, head: Path, noise: frozenset[str] = frozenset()
            ) -> tuple[list[str], dict[str, int]]:
    base_records, base_ids, base_places = warc_records(base)
    head_records, head_ids, head_places = warc_records(head)
    problems = first_difference("WARC record", base_records, head_records)
    base_items = normalised_items(base, base_ids, base_places)
    head_items = normalised_items(head, head_ids, head_places)
    if sorted(base_items) != sorted(head_items):
        problems.append(f"item files: {sorted(base_items)} vs {sorted(head_items)}")
    for name in sorted(set(base_items) & set(head_items)):
        problems += first_difference(f"items {name} line", base_items[name], head_items[name])
    quiet = [{k: v for k, v in r.items() if k not in noise} for r in reports(base)]
    loud = [{k: v for k, v in r.items() if k not in noise} for r in reports(head)]
    for number, (x, y) in enumerate(zip(quiet, loud, strict=False)):
        problems += [f"report #{number} {key}: {x.get(key)!r} in base, {y.get(key)!r} in head"
                     for key in sorted(set(x) | set(y)) if x.get(key) != y.get(key)]
    if len(quiet) != len(loud):
        problems.append(f"reports: {len(quiet)} in base, {len(loud)} in head")
    counts = {"warc_records": len(head_records),
              **{f"items/{name}": len(lines) for name, lines in head_items.items()},
              "reports": len(reports(head))}
    return problems, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", help="the revision to compare with (default: merge-base "
                                       "of HEAD and main)")
    parser.add_argument("--head", help="the revision to compare (default: this working tree)")
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--keep", type=Path, help="keep both archives under this directory")
    parser.add_argument("--control", action="store_true",
                        help="also crawl the base twice and compare those (determinism)")
    args = parser.parse_args(argv)
    base_rev = args.base or subprocess.run(
        ["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True, text=True,
        check=True).stdout.strip()
    work = Path(args.keep or tempfile.mkdtemp(prefix="compare-crawls-"))
    work.mkdir(parents=True, exist_ok=True)
    tree = work / "base-tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), base_rev], cwd=ROOT,
                   check=True, capture_output=True)
    head_tree = ROOT
    if args.head:
        head_tree = work / "head-tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(head_tree), args.head],
                       cwd=ROOT, check=True, capture_output=True)
    try:
        with start_replica(articles=args.articles) as replica:
            crawl(tree, work / "base", replica.url)
            crawl(head_tree, work / "head", replica.url)
            if args.control:
                crawl(tree, work / "base-again", replica.url)
        noise = frozenset(report_noise(work / "base", work / "base"))
        problems: list[str] = []
        if args.control:
            noise = frozenset(report_noise(work / "base", work / "base-again"))
            control, _ = compare(work / "base", work / "base-again", noise)
            print("control, base vs base:", "identical" if not control else "DIFFERENT")
            problems += [f"control: {problem}" for problem in control]
        print(f"report fields left out (they follow the crawl's order): {sorted(noise)}")
        problems_head, counts = compare(work / "base", work / "head", noise)
        problems += problems_head
    finally:
        for checkout in {tree, head_tree} - {ROOT}:
            subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=ROOT,
                           capture_output=True)
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    head_rev = subprocess.run(["git", "rev-parse", "--short", args.head or "HEAD"], cwd=ROOT,
                              capture_output=True, text=True).stdout.strip()
    head_name = head_rev if args.head else f"{head_rev} (+ working tree)"
    print(f"base {base_rev[:10]} vs head {head_name}, "
          f"{args.articles} articles: {json.dumps(counts)}")
    if problems:
        print("\n\n".join(problems))
        return 1
    print("identical: WARC records (ids, dates normalised), items, reports (timing removed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
