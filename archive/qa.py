"""`python -m archive qa DIR`: replay every article and section page in a real browser.

An archive can pass `verify` (every record sound, every pointer right) and still replay
badly: an image the crawl never took, a stylesheet answered with pywb's "not found in
archive", a script that quietly fetches from the live web. Only a browser shows that, so this
command serves DIR with the project's own pywb replay (archive.replay), opens each page's
capture in headless Chromium and counts, per page, the resources loaded, the resources that
failed or answered >= 400, and the requests that left the replay; it also looks for the
item's title and first paragraph in the rendered text, so a page that "loads" but shows
something else is caught too. Like Browsertrix's QA pass, but offline and scriptable: the exit
status is 0 only when every checked page is whole.

This half runs in the crawl venv and imports neither Scrapy nor Playwright: Playwright lives
in the replay venv next to pywb, so the browser is driven by archive/qa_driver.py run with
that venv's interpreter, which reports JSON lines that this module judges. Chromium is
Debian's (`make replay-env` installs it), never a Playwright browser download.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from archive.items import newest_items, pointed_record
from archive.layout import ArchiveLayout
from archive.replay import (
    DEFAULT_COLLECTION,
    ReplayError,
    StopSignal,
    WaybackProcess,
    find_replay_venv,
    offline_env,
    prepare_collection,
    replay_url,
    start_wayback,
    stop_on_signals,
    wayback_timestamp,
)

HELP = ("load every article and section page of a finished ARCHIVE_DIR in headless Chromium "
        "through pywb; report missing resources and live-web leaks")

CHROMIUM_ENV = "SZNEWS_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser")
DRIVER = Path(__file__).resolve().with_name("qa_driver.py")
KINDS = {"articles": "article", "sections": "section"}
_REPLAYED = re.compile(r"^/[^/]+/\d{0,14}(?:[a-z]{2}_)?/(.+)$")
_SPACE = re.compile(r"\s+")


class QaSetupError(RuntimeError):
    """Nothing can be checked (no browser, no Playwright, no pages); the message says why."""


# --------------------------------------------------------------------------- pages


@dataclass
class PageJob:
    """One page to replay: the capture an item was extracted from, and what it must show."""

    kind: str
    url: str  # the item's canonical URL
    target: str  # the URL actually captured (WARC-Target-URI), which is what pywb knows
    timestamp: str  # 14 digits, from the WARC-Date of the item's record
    title: str | None
    paragraph: str | None


def _first_paragraph(item: dict[str, Any]) -> str | None:
    body = item.get("body")
    if not isinstance(body, str):
        return None
    return next((line.strip() for line in body.split("\n") if line.strip()), None)


def _locate(archive_dir: Path, item: dict[str, Any]) -> tuple[str, str] | str:
    """(captured URL, timestamp) of the record the item points at, or why there is none."""
    record = pointed_record(archive_dir, item)
    if isinstance(record, str):
        return record
    try:
        stamp = wayback_timestamp(record.rec_headers.get_header("WARC-Date"))
    except ValueError as exc:
        return f"warc pointer unreadable ({exc})"
    if not stamp or not record.target_uri:
        return "pointed record has no WARC-Date or WARC-Target-URI"
    return record.target_uri, stamp


def collect_pages(archive_dir: Path, warnings: list[str]) -> list[PageJob]:
    """Newest article and section item per URL, in the capture its warc pointer locates.

    The captured URL is used rather than the item's canonical one because pywb only knows
    what was fetched (a section's `dir/` rather than its `dir/index.shtml`, say). An item
    whose pointer cannot be read falls back to its URL and `fetched` time, so that it is still
    checked, with a warning (`verify` says what is wrong with the pointer).
    """
    pages: list[PageJob] = []
    for path, lineno, item in newest_items(archive_dir, warnings):
        if path.stem not in KINDS:
            continue
        url = item["url"]
        located = _locate(archive_dir, item)
        if isinstance(located, str):
            try:
                fetched = wayback_timestamp(str(item.get("fetched") or ""))
            except ValueError:
                fetched = ""
            where = f"{path.relative_to(archive_dir)}:{lineno}"
            if not fetched:
                warnings.append(f"{where}: {url}: {located}, and no fetched time; not checked")
                continue
            warnings.append(f"{where}: {url}: {located}; checking its capture nearest "
                            f"{fetched}")
            located = (url, fetched)
        title = item.get("title") or item.get("name")
        pages.append(PageJob(KINDS[path.stem], url, located[0], located[1],
                             str(title) if title else None, _first_paragraph(item)))
    pages.sort(key=lambda p: (p.kind != "section", p.url))
    return pages


def sample_pages(pages: list[PageJob], n: int | None) -> list[PageJob]:
    """n pages spread evenly over the list (sections first, then articles by URL).

    Even spacing rather than a random draw: the same archive and n always give the same
    pages, so a rerun after a fix checks the page that failed.
    """
    if n is None or n >= len(pages):
        return list(pages)
    if n <= 0:
        return []
    step = len(pages) / n
    return [pages[int(i * step)] for i in range(n)]


def unpack_wacz(wacz: Path, dest: Path, warnings: list[str]) -> list[PageJob]:
    """Lay a WACZ out as an ARCHIVE_DIR (warc/, index.cdxj) and list its pages.

    What is replayed is the WACZ's own content: its WARCs, its own index (the ZipNum blocks
    of indexes/*.cdx.gz, or a plain .cdxj) and pages/pages.jsonl, so a WACZ whose index or
    page list disagrees with its WARCs fails here as it would in ReplayWeb.page. Pages carry
    a title but no text, so only the title is looked for.
    """
    layout = ArchiveLayout(dest)
    warc_dir = layout.warc_dir
    warc_dir.mkdir(parents=True, exist_ok=True)
    pages: list[PageJob] = []
    try:
        with zipfile.ZipFile(wacz) as zf:
            index_lines: list[bytes] = []
            for name in sorted(zf.namelist()):
                path = PurePosixPath(name)
                if path.parts[:1] == ("archive",) and path.name.endswith((".warc.gz", ".warc")):
                    with zf.open(name) as src, open(warc_dir / path.name, "wb") as out:
                        shutil.copyfileobj(src, out, 1 << 20)
                elif path.parts[:1] == ("indexes",) and path.name.endswith(".cdx.gz"):
                    index_lines += gzip.decompress(zf.read(name)).splitlines()
                elif path.parts[:1] == ("indexes",) and path.name.endswith((".cdxj", ".cdx")):
                    index_lines += zf.read(name).splitlines()
            if not index_lines:
                raise QaSetupError(f"{wacz} has no index under indexes/")
            layout.index_path.write_bytes(
                b"".join(line + b"\n" for line in index_lines if line.strip()))
            try:
                listed = zf.read("pages/pages.jsonl").decode("utf-8").splitlines()
            except KeyError:
                raise QaSetupError(f"{wacz} has no pages/pages.jsonl") from None
    except (zipfile.BadZipFile, OSError, EOFError, gzip.BadGzipFile) as exc:
        raise QaSetupError(f"{wacz} cannot be read as a WACZ: {exc}") from exc
    for lineno, line in enumerate(listed, 1):
        try:
            page = json.loads(line) if line.strip() else {}
        except json.JSONDecodeError:
            warnings.append(f"pages/pages.jsonl:{lineno}: not JSON, skipped")
            continue
        url, ts = page.get("url"), page.get("ts")
        if "format" in page or not isinstance(url, str) or not isinstance(ts, str):
            continue  # the header line, or a page that names no capture
        title = page.get("title")
        pages.append(PageJob("page", url, url, wayback_timestamp(ts),
                             str(title) if title and title != url else None, None))
    return pages


# --------------------------------------------------------------------------- judging


def normalize_text(text: str) -> str:
    """Whitespace-free, so layout (line breaks, full-width indentation, nbsp) never matters."""
    return _SPACE.sub("", text)


def original_url(url: str, wayback: str) -> str | None:
    """The archived URL inside a replay URL, or None for pywb's own files (/static/...)."""
    if not url.startswith(wayback):
        return None
    match = _REPLAYED.match(url[len(wayback):])
    return match.group(1) if match else None


def _found(needle: str | None, haystack: str) -> bool | None:
    if not needle:
        return None
    return normalize_text(needle) in haystack


def judge(job: PageJob, seen: dict[str, Any], wayback: str) -> dict[str, Any]:
    """Turn what the browser saw into a row; `whole` is the one policy of the command.

    A page is whole when its document answered < 400 and loaded without error, no resource
    failed or answered >= 400 (pywb's "not found in archive" is a 404), nothing left the
    replay, and the item's title and first paragraph are in the rendered page.
    """
    loaded = 0
    failed: dict[str, dict[str, Any]] = {}
    for response in seen.get("responses", []):
        if response["status"] >= 400:
            url = response["url"]
            failed.setdefault(url, {"url": original_url(url, wayback) or url, "replay_url": url,
                                    "status": response["status"]})
        else:
            loaded += 1
    for failure in seen.get("failures", []):
        url = failure["url"]
        failed.setdefault(url, {"url": original_url(url, wayback) or url, "replay_url": url,
                                "error": failure["error"]})
    leaks = list(seen.get("leaks", []))
    shown = normalize_text(f"{seen.get('title') or ''}\n{seen.get('text') or ''}")
    title_found = _found(job.title, shown)
    paragraph_found = _found(job.paragraph, shown)
    status = seen.get("status")
    problems: list[str] = []
    if seen.get("error"):
        problems.append(f"error: {seen['error']}")
    elif status is None or status >= 400:
        problems.append(f"status {status}")
    if failed:
        problems.append(f"{len(failed)} failed")
    if leaks:
        problems.append(f"{len(leaks)} live-web")
    if title_found is False:
        problems.append("title not shown")
    if paragraph_found is False:
        problems.append("first paragraph not shown")
    return {
        "url": job.url, "kind": job.kind, "timestamp": job.timestamp,
        "replay_url": seen.get("replay_url"), "status": status, "whole": not problems,
        "problems": problems, "resources": loaded, "failed": list(failed.values()),
        "leaks": leaks, "title_found": title_found, "paragraph_found": paragraph_found,
        "settled": seen.get("settled", True), "screenshot": seen.get("screenshot"),
        "error": seen.get("error"),
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    bad = [row for row in rows if not row["whole"]]
    return {
        "pages": len(rows),
        "articles": sum(row["kind"] == "article" for row in rows),
        "sections": sum(row["kind"] == "section" for row in rows),
        "whole": len(rows) - len(bad),
        "bad": len(bad),
        "resources": sum(row["resources"] for row in rows),
        "failed": sum(len(row["failed"]) for row in rows),
        "leaks": sum(len(row["leaks"]) for row in rows),
    }


def summary_line(summary: dict[str, Any]) -> str:
    other = summary["pages"] - summary["articles"] - summary["sections"]
    listed = f", {other} from pages.jsonl" if other else ""
    return (f"qa: {summary['pages']} pages checked ({summary['articles']} articles, "
            f"{summary['sections']} sections{listed}): {summary['whole']} whole, "
            f"{summary['bad']} bad; "
            f"{summary['resources']} resources loaded, {summary['failed']} failed, "
            f"{summary['leaks']} live-web requests")


def bad_table(rows: list[dict[str, Any]]) -> str:
    """The bad pages, each followed by the URLs that made it bad (what a user fixes)."""
    bad = [row for row in rows if not row["whole"]]
    if not bad:
        return ""
    lines = [f"{'kind':<8} {'status':>6} {'loaded':>6} {'failed':>6} {'leaks':>5}  "
             f"{'problems':<40} url"]
    for row in bad:
        lines.append(f"{row['kind']:<8} {row['status'] or '-'!s:>6} {row['resources']:>6} "
                     f"{len(row['failed']):>6} {len(row['leaks']):>5}  "
                     f"{', '.join(row['problems']):<40} {row['url']}")
        for failure in row["failed"]:
            why = failure.get("status") or failure.get("error")
            lines.append(f"{'':<10}failed {why}: {failure['url']}")
        for leak in row["leaks"]:
            lines.append(f"{'':<10}live web: {leak}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- environment


def find_chromium() -> str:
    """$SZNEWS_CHROMIUM, else Debian's chromium on PATH; never Playwright's own download.

    Playwright's browser download cannot be reached from our machines, and a silent
    fallback to one that happens to be cached would test a different browser.
    """
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        if os.path.isfile(configured) and os.access(configured, os.X_OK):
            return configured
        raise QaSetupError(f"${CHROMIUM_ENV}={configured} is not an executable file")
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise QaSetupError(
        "Chromium not found (looked for `chromium` and `chromium-browser` on PATH): run "
        "`make replay-env`, which installs Debian's chromium and CJK fonts through apt, or "
        f"point {CHROMIUM_ENV} at a Chromium executable"
    )


def has_cjk_font() -> bool | None:
    """Whether fontconfig knows a Chinese font (None: cannot tell). Screenshots need one."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True,
                             timeout=60, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(out.strip())


def _screenshot_name(index: int, job: PageJob) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", job.target.split("://", 1)[-1]).strip("_")
    return f"{index:04d}-{slug[:100]}.png"


class Progress:
    """One updating line on a terminal; a line per tenth of the run otherwise (logs, CI)."""

    def __init__(self, total: int, stream: IO[str] | None) -> None:
        self.total = total
        self.stream = stream
        self.tty = bool(stream is not None and stream.isatty())
        self.every = max(1, total // 10)

    def update(self, done: int, bad: int) -> None:
        if self.stream is None:
            return
        text = f"qa: {done}/{self.total} pages checked, {bad} bad"
        if self.tty:
            self.stream.write(f"\r{text}" + ("\n" if done == self.total else ""))
        elif done % self.every == 0 or done == self.total:
            self.stream.write(text + "\n")
        self.stream.flush()


# --------------------------------------------------------------------------- running


def _drive(python: Path, config: dict[str, Any], jobs: list[PageJob], log_path: Path,
           env: dict[str, str], progress: Progress) -> list[dict[str, Any]]:
    """Run the driver, judging each page as its line arrives (for the progress display)."""
    rows: dict[int, dict[str, Any]] = {}
    bad = 0
    with open(log_path, "wb") as log_fh:
        proc = subprocess.Popen(
            [str(python), str(DRIVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=log_fh, env=env, text=True,
            encoding="utf-8",
        )
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(json.dumps(config, ensure_ascii=False))
            proc.stdin.close()
            for line in proc.stdout:
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    continue  # not ours (a library printing to stdout): not a page
                if event["event"] == "error":
                    raise QaSetupError(event["message"])
                if event["event"] != "page":
                    continue
                index = int(event["id"])
                rows[index] = judge(jobs[index], event, config["wayback"])
                bad += not rows[index]["whole"]
                progress.update(len(rows), bad)
            status = proc.wait()
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    if len(rows) != len(jobs):
        tail = log_path.read_text("utf-8", errors="replace")[-3000:]
        raise QaSetupError(f"the browser driver stopped after {len(rows)} of {len(jobs)} "
                           f"pages (exit status {status}):\n{tail}")
    return [rows[i] for i in range(len(jobs))]


def run_qa(
    archive: Path,
    *,
    sample: int | None = None,
    screenshots: Path | None = None,
    parallel: int = 2,
    timeout: float = 60.0,
    progress: IO[str] | None = None,
    warnings: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Replay an ARCHIVE_DIR's (or a WACZ's) pages in Chromium; one judged row per page."""
    warnings = [] if warnings is None else warnings
    with tempfile.TemporaryDirectory(prefix="sznews-qa-") as tmp:
        work = Path(tmp)
        if archive.is_file():
            archive_dir = work / "wacz"
            pages = unpack_wacz(archive, archive_dir, warnings)
            where = f"{archive}'s pages/pages.jsonl"
        else:
            archive_dir = archive
            pages = collect_pages(archive_dir, warnings)
            where = f"{archive_dir / 'items'}"
        jobs = sample_pages(pages, sample)
        if not jobs:
            raise QaSetupError(f"no pages with a capture in {where}: nothing to check")
        chromium = find_chromium()
        python = find_replay_venv() / "bin" / "python"
        if screenshots is not None:
            screenshots.mkdir(parents=True, exist_ok=True)
            if has_cjk_font() is False:
                warnings.append("fontconfig knows no Chinese font: screenshots will show "
                                "boxes (`make replay-env` installs fonts-noto-cjk)")
        root = work / "replay"
        # Unframed, so that an mp_ page opened at the top level stays there (see
        # prepare_collection) and its requests and text are the main frame's.
        prepare_collection(archive_dir, root, DEFAULT_COLLECTION, framed=False)
        wb: WaybackProcess = start_wayback(root, 0, new_session=True)
        try:
            entries = []
            for index, job in enumerate(jobs):
                shot = None
                if screenshots is not None:
                    shot = str((screenshots / _screenshot_name(index, job)).resolve())
                entries.append({"id": index, "screenshot": shot,
                                "replay_url": replay_url(wb.url, DEFAULT_COLLECTION,
                                                         job.timestamp, job.target, "mp_")})
            config = {"wayback": wb.url, "chromium": chromium, "parallel": parallel,
                      "timeout": timeout, "pages": entries}
            # Same environment as wayback's: no proxy variables, which Chromium would honour.
            env = offline_env(root / "config.yaml")
            return _drive(python, config, jobs, root / "driver.log", env,
                          Progress(len(jobs), progress))
        finally:
            wb.stop()


# --------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("archive_dir", metavar="DIR", type=Path,
                        help="a finished crawl's ARCHIVE_DIR (with warc/, index.cdxj, items/), "
                             "or a FILE.wacz made by `python -m archive wacz`")
    parser.add_argument("--sample", metavar="N", type=int, default=None,
                        help="check N pages spread evenly over the archive (default: all)")
    parser.add_argument("--json", metavar="FILE", type=Path, default=None,
                        help="write the summary and every page's row to FILE")
    parser.add_argument("--screenshots", metavar="DIR", type=Path, default=None,
                        help="save a full-page PNG of every checked page in DIR")
    parser.add_argument("--parallel", metavar="N", type=int, default=2,
                        help="pages loaded at once (default 2)")
    parser.add_argument("--timeout", metavar="SECONDS", type=float, default=60.0,
                        help="longest wait for one page to load (default 60)")


def run(args: argparse.Namespace) -> int:
    archive_dir: Path = args.archive_dir
    if not (archive_dir.is_dir() or (archive_dir.is_file() and archive_dir.suffix == ".wacz")):
        print(f"error: {archive_dir} is neither a directory nor a .wacz file", file=sys.stderr)
        return 2
    warnings: list[str] = []
    try:
        with stop_on_signals():
            rows = run_qa(archive_dir, sample=args.sample, screenshots=args.screenshots,
                          parallel=args.parallel, timeout=args.timeout, progress=sys.stderr,
                          warnings=warnings)
    except (QaSetupError, ReplayError) as exc:
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, StopSignal):
        print("\nqa interrupted", file=sys.stderr)
        return 130
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    summary = summarize(rows)
    table = bad_table(rows)
    if table:
        print(table)
    print(summary_line(summary))
    if args.json is not None:
        args.json.write_text(json.dumps({"archive": str(archive_dir.resolve()),
                                         "summary": summary, "pages": rows},
                                        ensure_ascii=False, indent=1) + "\n", "utf-8")
    return 0 if summary["bad"] == 0 else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archive qa", description=HELP)
    add_arguments(parser)
    return run(parser.parse_args(argv))


__all__ = ["PageJob", "QaSetupError", "collect_pages", "judge", "run_qa", "sample_pages"]

if __name__ == "__main__":
    sys.exit(main())
