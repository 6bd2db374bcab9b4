"""`python -m archive wacz DIR -o FILE.wacz`: package a finished crawl as a WACZ 1.1.1 file.

The WACZ is written directly with zipfile (no py-wacz at run time, so the crawl venv needs no
extra packages) following the spec that ReplayWeb.page and `wacz validate` implement:

    archive/<name>.warc.gz       every finished WARC, stored (not deflated), byte for byte
    indexes/index.cdx.gz         the CDXJ index as a ZipNum shared index: gzip blocks of
    indexes/index.idx            LINES_PER_BLOCK lines, located by index.idx (as py-wacz does)
    pages/pages.jsonl            one page per article and section (url, title, ts), an
                                 article's with its text for ReplayWeb.page's search
    datapackage.json             every file above with its sha256 and size
    datapackage-digest.json      sha256 of datapackage.json

The CDXJ lines are made by archive.index.write_cdxj_index over exactly the WARCs packed, so
index and archive always agree. Pages come from DIR/items/*/*.jsonl: the newest item per
url (runs in run-id order), titled by the article's `title` or the section's `name`; `ts` is
the WARC-Date of the record the item's `warc` pointer locates, so ReplayWeb.page opens the
very capture the item was extracted from. The output is written beside it and renamed into
place: a reader never sees half a WACZ.

`wacz validate` (py-wacz) can be run on the result with --validate; it is looked up in
$SZNEWS_WACZ, next to this interpreter, on PATH, then in the replay venv's bin/
($SZNEWS_REPLAY_VENV, else <repo>/.venv-replay).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from cdxj_indexer.main import CompressedWriter

from archive.catalog.text import han_bigrams
from archive.durable import replaced_atomically
from archive.index import write_cdxj_index
from archive.items import ItemPlace, item_at, newest_item_places, pointed_record
from archive.layout import INDEX_NAME, WARC_SUFFIX, ArchiveLayout
from archive.replay.env import replay_venv_dir

HELP = "package a finished ARCHIVE_DIR as a WACZ file (for ReplayWeb.page)"

WACZ_VERSION = "1.1.1"
SOFTWARE = "sznews-archive"
LINES_PER_BLOCK = 1024  # ZipNum block size, archiveweb.page's and py-wacz's default
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages",
                "hasText": True}
WACZ_BIN_ENV = "SZNEWS_WACZ"
COPY_CHUNK = 1 << 20


class WaczError(RuntimeError):
    """The archive directory cannot be packaged; the message says why."""


@dataclass
class Page:
    url: str
    title: str
    ts: str
    kind: str  # items file stem: "articles", "sections", ...
    # The item's line: its text (what ReplayWeb.page's page search looks in) is read again
    # only as pages.jsonl is written, so no archive's texts are ever all in memory.
    source: ItemPlace | None = None

    def to_json(self) -> dict[str, Any]:
        page_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{self.ts}/{self.url}").hex
        page = {"id": page_id, "url": self.url, "title": self.title, "ts": self.ts}
        text = page_text(item_at(self.source)) if self.source is not None else None
        if text:
            page["text"] = text
        return page


@dataclass
class WaczResult:
    path: Path
    warcs: list[str]
    index_lines: int
    pages: list[Page]
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- pages


def _page_ts(warc_date: str) -> str:
    """ISO 8601 with milliseconds (what browsers parse everywhere); same 14-digit second."""
    stamp = datetime.fromisoformat(warc_date.strip()).astimezone(UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def collect_pages(archive_dir: Path, warnings: list[str]) -> list[Page]:
    """Newest item per url, timestamped by the capture its warc pointer locates."""
    pages: list[Page] = []
    for place in newest_item_places(archive_dir, warnings):
        item = item_at(place)
        url = item["url"]
        where = f"{place.path.relative_to(archive_dir)}:{place.lineno}"
        title = item.get("title") or item.get("name") or url
        ts = _capture_ts(archive_dir, item, where, warnings)
        if ts is None:
            continue
        pages.append(Page(url=url, title=str(title), ts=ts, kind=place.path.stem,
                          source=place if "body" in item else None))
    # Sections first (they are the way into the site), then articles; each by url.
    order = {"sections": 0, "articles": 1}
    pages.sort(key=lambda p: (order.get(p.kind, 2), p.kind, p.url))
    return pages


def page_text(item: dict[str, Any]) -> str | None:
    """An article's title and body, then its two-character Chinese words: ReplayWeb.page's
    search matches whole words between spaces and punctuation (docs/search.md)."""
    text = "\n".join(str(item.get(k)) for k in ("title", "body") if "body" in item and item.get(k))
    return f"{text}\n{' '.join(han_bigrams(text))}" if text else None


def _capture_ts(archive_dir: Path, item: dict[str, Any], where: str,
                warnings: list[str]) -> str | None:
    url = item.get("url")
    record = pointed_record(archive_dir, item)
    if isinstance(record, str):
        problem = record
    else:
        pages = item.get("pages")
        first = pages[0] if isinstance(pages, list) and pages else None
        date = record.rec_headers.get_header("WARC-Date")
        wanted = item["warc"].get("record_id")
        if record.record_id != wanted:
            problem = f"warc pointer lands on {record.record_id}, not {wanted}"
        elif record.target_uri not in (url, first):
            problem = f"warc pointer lands on a record for {record.target_uri}"
        elif not date:
            problem = "pointed record has no WARC-Date"
        else:
            try:
                return _page_ts(date)
            except ValueError:
                problem = f"pointed record has an unreadable WARC-Date {date!r}"
    fetched = item.get("fetched")
    if isinstance(fetched, str) and fetched:
        warnings.append(f"{where}: {url}: {problem}; using its fetched time {fetched}")
        return fetched
    warnings.append(f"{where}: {url}: {problem}; left out of pages.jsonl")
    return None


# --------------------------------------------------------------------------- zip writing


class _HashingZip:
    """A ZipFile that records the sha256 and size of everything written for datapackage.json."""

    def __init__(self, path: Path, date_time: tuple[int, int, int, int, int, int]) -> None:
        self.zip = zipfile.ZipFile(path, "w", allowZip64=True)
        self.date_time = date_time
        self.resources: list[dict[str, Any]] = []
        self._names: set[str] = set()

    def _info(self, arcname: str, size: int | None, compress: bool) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(arcname, self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        if size is not None:
            info.file_size = size
        return info

    def _resource(self, arcname: str, digest: str, size: int) -> None:
        # Frictionless wants unique lowercase names made of [-a-z0-9._/].
        base = "".join(c if c.isalnum() or c in "-._" else "-" for c in
                       os.path.basename(arcname).lower())
        name, n = base, 1
        while name in self._names:
            n += 1
            name = f"{base}-{n}"
        self._names.add(name)
        self.resources.append(
            {"name": name, "path": arcname, "hash": f"sha256:{digest}", "bytes": size})

    def add_file(self, src: Path, arcname: str, *, compress: bool) -> None:
        size = src.stat().st_size
        hasher = hashlib.sha256()
        written = 0
        with open(src, "rb") as fh, self.zip.open(self._info(arcname, size, compress), "w",
                                                  force_zip64=size >= 1 << 31) as out:
            while chunk := fh.read(COPY_CHUNK):
                hasher.update(chunk)
                out.write(chunk)
                written += len(chunk)
        if written != size:
            raise WaczError(f"{src} changed size while being packed ({size} -> {written})")
        self._resource(arcname, hasher.hexdigest(), size)

    def add_bytes(self, data: bytes, arcname: str, *, compress: bool,
                  listed: bool = True) -> None:
        self.zip.writestr(self._info(arcname, None, compress), data)
        if listed:
            self._resource(arcname, hashlib.sha256(data).hexdigest(), len(data))

    def close(self) -> None:
        self.zip.close()


def _zipnum(cdxj: Path, data_path: Path, idx_path: Path) -> None:
    """Turn a sorted CDXJ file into ZipNum (index.cdx.gz blocks + index.idx), via cdxj-indexer."""
    with open(cdxj, encoding="utf-8") as src, open(idx_path, "w", encoding="utf-8") as idx, \
            open(data_path, "wb") as data:
        writer = CompressedWriter(idx, data_out=data, num_lines=LINES_PER_BLOCK,
                                  data_out_name="index.cdx.gz")
        wrote = False
        for line in src:
            if line.strip():
                writer.write(line if line.endswith("\n") else line + "\n")
                wrote = True
        if wrote and writer.block:
            writer.flush()


def _finished_warcs(archive_dir: Path) -> list[Path]:
    """The layout's finished WARCs, refusing a directory a crawl may still be writing to."""
    layout = ArchiveLayout(archive_dir)
    warc_dir = layout.warc_dir
    if not warc_dir.is_dir():
        raise WaczError(f"{warc_dir} does not exist")
    unfinished = [p.name for p in layout.unfinished_warcs()]
    if unfinished:
        raise WaczError(
            f"{warc_dir} has unfinished files ({', '.join(unfinished)}): a crawl is still "
            "running, or was killed; let it finish (the next run recovers .open files)")
    warcs = layout.finished_warcs()
    if not warcs:
        raise WaczError(f"no *{WARC_SUFFIX} files in {warc_dir}")
    return warcs


def build_wacz(
    archive_dir: Path,
    output: Path,
    *,
    title: str | None = None,
    description: str | None = None,
    created: datetime | None = None,
) -> WaczResult:
    """Write archive_dir as a WACZ at output (atomically); raises WaczError when it cannot."""
    archive_dir = Path(archive_dir)
    output = Path(output)
    warcs = _finished_warcs(archive_dir)
    created = (created or datetime.now(UTC)).astimezone(UTC)
    warnings: list[str] = []
    pages = collect_pages(archive_dir, warnings)

    with replaced_atomically(output) as tmp, \
            tempfile.TemporaryDirectory(prefix="wacz-index-") as work_dir:
        work = Path(work_dir)
        index_lines = write_cdxj_index(warcs, work / INDEX_NAME)
        _zipnum(work / INDEX_NAME, work / "index.cdx.gz", work / "index.idx")

        date_time = created.timetuple()[:6]
        wacz = _HashingZip(tmp, date_time)
        try:
            # WARCs and ZipNum blocks stay uncompressed so replay can seek into them.
            for warc in warcs:
                wacz.add_file(warc, f"archive/{warc.name}", compress=False)
            wacz.add_file(work / "index.cdx.gz", "indexes/index.cdx.gz", compress=False)
            wacz.add_file(work / "index.idx", "indexes/index.idx", compress=True)
            with open(work / "pages.jsonl", "w", encoding="utf-8") as fh:  # a page at a time
                fh.write(json.dumps(PAGES_HEADER, ensure_ascii=False) + "\n")
                for page in pages:
                    fh.write(json.dumps(page.to_json(), ensure_ascii=False) + "\n")
            wacz.add_file(work / "pages.jsonl", "pages/pages.jsonl", compress=True)
            package: dict[str, Any] = {
                "profile": "data-package",
                "resources": wacz.resources,
                "title": title or f"sznews archive {archive_dir.resolve().name}",
                "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "wacz_version": WACZ_VERSION,
                "software": f"{SOFTWARE} {_version()}",
            }
            if description:
                package["description"] = description
            package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode()
            wacz.add_bytes(package_bytes, "datapackage.json", compress=True, listed=False)
            digest = {"path": "datapackage.json",
                      "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
            wacz.add_bytes(json.dumps(digest, indent=2).encode(),
                           "datapackage-digest.json", compress=True, listed=False)
        finally:
            wacz.close()
    return WaczResult(path=output, warcs=[w.name for w in warcs], index_lines=index_lines,
                      pages=pages, warnings=warnings)


def _version() -> str:
    try:
        return version("sznews-archive")
    except PackageNotFoundError:
        return "unknown"


# --------------------------------------------------------------------------- validation


def find_wacz_cli() -> Path | None:
    """py-wacz's `wacz` command: $SZNEWS_WACZ, beside this Python, PATH, .venv-replay."""
    configured = os.environ.get(WACZ_BIN_ENV)
    candidates = [Path(configured).expanduser()] if configured else []
    candidates.append(Path(sys.executable).parent / "wacz")
    candidates += [Path(found) for found in [shutil.which("wacz")] if found]
    candidates.append(replay_venv_dir() / "bin" / "wacz")
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def validate_wacz(path: Path, wacz_cli: Path | None = None) -> tuple[bool, str]:
    """Run `wacz validate -f path`: (accepted, its output)."""
    cli = wacz_cli or find_wacz_cli()
    if cli is None:
        raise WaczError(f"the `wacz` command (py-wacz) was not found; install it or set "
                        f"{WACZ_BIN_ENV}")
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("pythonpath", "pythonhome", "virtual_env")}
    proc = subprocess.run([str(cli), "validate", "-f", str(path)], capture_output=True,
                          text=True, env=env, timeout=3600)
    output = proc.stdout + proc.stderr
    accepted = proc.returncode == 0 and "Validation succeeded" in output
    return accepted, output


# --------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("archive_dir", metavar="DIR", type=Path,
                        help="a finished crawl's ARCHIVE_DIR (with warc/ and items/)")
    parser.add_argument("-o", "--output", metavar="FILE.wacz", type=Path, required=True,
                        help="WACZ file to write (replaced atomically)")
    parser.add_argument("--title", help="collection title shown by ReplayWeb.page")
    parser.add_argument("--description", help="collection description")
    parser.add_argument("--validate", action="store_true",
                        help=f"run `wacz validate` (py-wacz) on the result; found via "
                             f"${WACZ_BIN_ENV}, this venv, PATH or .venv-replay")


def run(args: argparse.Namespace) -> int:
    archive_dir: Path = args.archive_dir
    if not archive_dir.is_dir():
        print(f"error: {archive_dir} is not a directory", file=sys.stderr)
        return 2
    if args.output.suffix != ".wacz":
        print(f"error: {args.output} must end in .wacz", file=sys.stderr)
        return 2
    try:
        result = build_wacz(archive_dir, args.output, title=args.title,
                            description=args.description)
    except WaczError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    size = result.path.stat().st_size
    print(f"wrote {result.path} ({size} bytes): {len(result.warcs)} WARC files, "
          f"{result.index_lines} index lines, {len(result.pages)} pages")
    if args.validate:
        try:
            accepted, output = validate_wacz(result.path)
        except WaczError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        if not accepted:
            print(output.strip(), file=sys.stderr)
            print("error: wacz validate rejected the file", file=sys.stderr)
            return 1
        print("wacz validate: valid")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archive wacz", description=HELP)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
