"""`python -m archive verify DIR`: check that a finished ARCHIVE_DIR is whole and consistent.

Everything is checked from the bytes on disk, without trusting any one tool's reading of them:

* WARC files (DIR/warc/*.warc.gz): every gzip member inflates (CRC included) and holds
  exactly one complete WARC record; no trailing garbage; the first record is warcinfo; no
  record id is used twice. A damaged member is reported and reading resumes at the next
  intact member, so one bad record does not hide the rest of the file. `.open` files are
  reported as unfinished (a crawl still running, or killed and not yet recovered).
* Digests: WARC-Block-Digest over the block; WARC-Payload-Digest over the HTTP entity body
  as stored (still content-encoded), as archive/records.py computes them; a response's HTTP
  Content-Length equals the stored body length.
* Pairs: every response/revisit has exactly one request whose WARC-Concurrent-To points at
  it, with the same WARC-Target-URI, WARC-Date (and WARC-IP-Address when both have one),
  and every request points at an existing response/revisit.
* Revisits: the record referred to exists (by WARC-Refers-To if given, else by
  WARC-Refers-To-Target-URI + WARC-Payload-Digest) and agrees on URI, digest and date.
* DIR/index.cdxj: exists, parses, is sorted, every line lands exactly on a record with the
  same url, timestamp and digest, and every response/revisit record has a line.
* Items (DIR/items/*/*.jsonl): every `warc` pointer lands exactly on a response/revisit
  record (offset, length, record id) whose target URI is the item's url or first page.

Exit status: 0 when everything holds, 1 when anything failed, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from warcio.timeutils import iso_date_to_timestamp

from archive.cdxj import CdxjError, read_index
from archive.layout import INDEX_NAME, OPEN_SUFFIX, WARC_SUFFIX, ArchiveLayout
from archive.members import ParsedRecord, RecordError, iter_members_resyncing, parse_record

HELP = "check a finished ARCHIVE_DIR: WARC integrity, digests, pairs, index and item pointers"

INDEXED_TYPES = frozenset({"response", "revisit"})
POINTABLE_TYPES = frozenset({"response", "revisit"})


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Failure:
    where: str  # path relative to DIR, optionally ":line" for text files
    message: str
    offset: int | None = None
    record_id: str | None = None

    def __str__(self) -> str:
        parts = [self.where]
        if self.offset is not None:
            parts.append(f"@{self.offset}")
        if self.record_id:
            parts.append(self.record_id)
        return " ".join(parts) + ": " + self.message


@dataclass
class Report:
    files: int = 0
    records: int = 0
    items: int = 0
    index_lines: int = 0
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, where: str, message: str, *, offset: int | None = None,
             record_id: str | None = None) -> None:
        self.failures.append(Failure(where, message, offset, record_id))

    def summary(self) -> str:
        return (f"{self.files} files, {self.records} records, {self.items} items checked; "
                f"{len(self.failures)} failures")


@dataclass
class RecordInfo:
    """What later checks need to know about one record; kept small for big archives."""

    filename: str
    offset: int
    length: int
    warc_type: str
    record_id: str | None
    uri: str | None
    date: str | None
    ip: str | None
    payload_digest: str | None
    status: str | None
    concurrent_to: tuple[str, ...]
    refers_to: str | None
    refers_to_uri: str | None
    refers_to_date: str | None


def _digest_matches(header: str, data: bytes) -> tuple[bool, str]:
    """(matches, computed value in the header's own encoding) for 'algo:value' digests."""
    algo, sep, value = header.partition(":")
    algo = algo.strip().lower()
    if not sep or not value.strip():
        return False, "malformed digest (expected 'algorithm:value')"
    try:
        raw = hashlib.new(algo, data).digest()
    except ValueError:
        return False, f"unsupported digest algorithm {algo!r}"
    value = value.strip()
    b32 = base64.b32encode(raw).decode("ascii")
    hexed = binascii.hexlify(raw).decode("ascii")
    if value.upper().rstrip("=") == b32.rstrip("="):
        return True, f"{algo}:{b32}"
    if value.lower() == hexed:
        return True, f"{algo}:{hexed}"
    computed = hexed if all(c in "0123456789abcdefABCDEF" for c in value) else b32
    return False, f"{algo}:{computed}"


def _split_http(block: bytes) -> tuple[bytes, bytes] | None:
    end = block.find(b"\r\n\r\n")
    if end < 0:
        return None
    return block[:end], block[end + 4:]


def _http_status_and_length(head: bytes) -> tuple[str | None, list[bytes]]:
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    status = parts[1].decode("latin-1") if len(parts) > 1 else None
    lengths = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"content-length":
            lengths.append(value.strip())
    return status, lengths


def check_record(record: ParsedRecord, where: str, offset: int, report: Report) -> str | None:
    """Digest and framing checks of one record; returns the HTTP status if it has one."""
    rid = record.get("WARC-Record-ID")
    warc_type = record.get("WARC-Type") or ""
    if record.version not in ("WARC/1.1", "WARC/1.0"):
        report.fail(where, f"unexpected WARC version line {record.version!r}",
                    offset=offset, record_id=rid)
    for required in ("WARC-Record-ID", "WARC-Type", "WARC-Date"):
        if not record.get(required):
            report.fail(where, f"missing {required}", offset=offset, record_id=rid)

    block_digest = record.get("WARC-Block-Digest")
    if block_digest is None:
        report.fail(where, "missing WARC-Block-Digest", offset=offset, record_id=rid)
    else:
        ok, computed = _digest_matches(block_digest, record.block)
        if not ok:
            report.fail(where, f"WARC-Block-Digest mismatch: header {block_digest}, "
                        f"block has {computed}", offset=offset, record_id=rid)

    content_type = (record.get("Content-Type") or "").lower()
    is_http = content_type.startswith("application/http")
    status = None
    payload: bytes | None = record.block
    if is_http:
        split = _split_http(record.block)
        if split is None:
            report.fail(where, "HTTP header block is not terminated by an empty line",
                        offset=offset, record_id=rid)
            payload = None
        else:
            head, payload = split
            status, lengths = _http_status_and_length(head)
            if warc_type == "response":
                real = str(len(payload)).encode()
                if any(value != real for value in lengths):
                    shown = b", ".join(lengths).decode("latin-1")
                    report.fail(where, f"HTTP Content-Length {shown} but the stored body is "
                                f"{len(payload)} bytes", offset=offset, record_id=rid)

    payload_digest = record.get("WARC-Payload-Digest")
    if warc_type == "response" and payload_digest is None:
        report.fail(where, "missing WARC-Payload-Digest", offset=offset, record_id=rid)
    # A revisit's payload digest is the original's; it is checked against that record.
    if payload_digest is not None and warc_type != "revisit" and payload is not None:
        ok, computed = _digest_matches(payload_digest, payload)
        if not ok:
            report.fail(where, f"WARC-Payload-Digest mismatch: header {payload_digest}, "
                        f"stored payload has {computed}", offset=offset, record_id=rid)
    return status


# --------------------------------------------------------------------------- verifier


class Verifier:
    def __init__(self, archive_dir: Path, *, out=None, quiet: bool = False) -> None:
        self.dir = Path(archive_dir)
        self.layout = ArchiveLayout(self.dir)
        self.report = Report()
        self.out = out
        self.quiet = quiet
        self.records: dict[tuple[str, int], RecordInfo] = {}
        self.by_id: dict[str, list[RecordInfo]] = defaultdict(list)
        self.finished_files: set[str] = set()
        # file name -> offsets where readable records stop being trustworthy (damage)
        self.damaged: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.coarse_refers_to_dates = 0

    def info(self, message: str) -> None:
        if not self.quiet and self.out is not None:
            print(message, file=self.out)

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.dir))
        except ValueError:
            return str(path)

    # ---------------------------------------------------------------- WARC files
    def check_warcs(self) -> None:
        warc_dir = self.layout.warc_dir
        if not warc_dir.is_dir():
            self.report.fail("warc", "no warc/ directory")
            return
        paths = sorted(p for p in warc_dir.iterdir() if p.is_file())
        finished = self.layout.finished_warcs()
        for path in paths:
            if path.name.endswith(OPEN_SUFFIX):
                self.report.fail(self.rel(path), "unfinished WARC file (.open): a crawl is "
                                 "still writing it, or was killed and it was never recovered")
            elif path not in finished:
                self.report.notes.append(f"{self.rel(path)}: not a WARC file, ignored")
        if not finished:
            items = [p for p in self.layout.item_files() if p.stat().st_size]
            if items or paths:
                self.report.fail("warc", f"no finished *{WARC_SUFFIX} files")
            else:  # a run that could write nothing at all (a full disk) claims nothing
                self.report.notes.append("warc: empty, nothing archived yet")
        for path in finished:
            self.finished_files.add(path.name)
            self.check_warc(path)
        self.check_duplicate_ids()

    def check_warc(self, path: Path) -> None:
        where = self.rel(path)
        self.report.files += 1
        count = 0
        for member in iter_members_resyncing(path):
            if member.data is None:
                self.damaged[path.name].append((member.offset, member.offset + member.length))
                self.report.fail(where, f"broken gzip member: {member.error}",
                                 offset=member.offset)
                continue
            try:
                record = parse_record(member.data)
            except RecordError as exc:
                self.damaged[path.name].append((member.offset, member.offset + member.length))
                self.report.fail(where, f"bad WARC record: {exc}", offset=member.offset)
                continue
            count += 1
            self.report.records += 1
            rid = record.get("WARC-Record-ID")
            warc_type = record.get("WARC-Type") or ""
            if count == 1 and warc_type != "warcinfo":
                self.report.fail(where, f"first record is {warc_type or 'untyped'}, "
                                 "not warcinfo", offset=member.offset, record_id=rid)
            status = check_record(record, where, member.offset, self.report)
            info = RecordInfo(
                filename=path.name,
                offset=member.offset,
                length=member.length,
                warc_type=warc_type,
                record_id=rid,
                uri=record.get("WARC-Target-URI"),
                date=record.get("WARC-Date"),
                ip=record.get("WARC-IP-Address"),
                payload_digest=record.get("WARC-Payload-Digest"),
                status=status,
                concurrent_to=tuple(record.get_all("WARC-Concurrent-To")),
                refers_to=record.get("WARC-Refers-To"),
                refers_to_uri=record.get("WARC-Refers-To-Target-URI"),
                refers_to_date=record.get("WARC-Refers-To-Date"),
            )
            self.records[(path.name, member.offset)] = info
            if rid:
                self.by_id[rid].append(info)
        self.info(f"{where}: {count} records")

    def check_duplicate_ids(self) -> None:
        for rid, infos in self.by_id.items():
            if len(infos) > 1:
                places = ", ".join(f"warc/{i.filename}@{i.offset}" for i in infos)
                first = infos[0]
                self.report.fail(f"warc/{first.filename}", f"record id used {len(infos)} "
                                 f"times: {places}", offset=first.offset, record_id=rid)

    def _where(self, info: RecordInfo) -> str:
        return f"warc/{info.filename}"

    # ---------------------------------------------------------------- pairs
    def check_pairs(self) -> None:
        requests_for: dict[str, list[RecordInfo]] = defaultdict(list)
        for info in self.records.values():
            if info.warc_type != "request":
                continue
            if len(info.concurrent_to) != 1:
                self.report.fail(self._where(info), f"request has {len(info.concurrent_to)} "
                                 "WARC-Concurrent-To headers, expected 1",
                                 offset=info.offset, record_id=info.record_id)
            for target_id in info.concurrent_to:
                targets = self.by_id.get(target_id)
                if not targets:
                    self.report.fail(self._where(info), f"WARC-Concurrent-To {target_id} "
                                     "points at no record in the archive",
                                     offset=info.offset, record_id=info.record_id)
                    continue
                target = targets[0]
                if target.warc_type not in INDEXED_TYPES:
                    self.report.fail(self._where(info), f"WARC-Concurrent-To {target_id} is "
                                     f"a {target.warc_type} record, not a response/revisit",
                                     offset=info.offset, record_id=info.record_id)
                    continue
                requests_for[target_id].append(info)
                self._compare_pair(target, info)
        for info in self.records.values():
            if info.warc_type not in INDEXED_TYPES:
                continue
            found = requests_for.get(info.record_id or "", [])
            if len(found) != 1:
                what = "no request record" if not found else f"{len(found)} request records"
                self.report.fail(self._where(info), f"{info.warc_type} for {info.uri} has "
                                 f"{what} pointing at it (WARC-Concurrent-To)",
                                 offset=info.offset, record_id=info.record_id)

    def _compare_pair(self, target: RecordInfo, request: RecordInfo) -> None:
        for label, a, b in (
            ("WARC-Target-URI", request.uri, target.uri),
            ("WARC-Date", request.date, target.date),
        ):
            if a != b:
                self.report.fail(self._where(request), f"{label} {a!r} differs from its "
                                 f"{target.warc_type} {target.record_id}: {b!r}",
                                 offset=request.offset, record_id=request.record_id)
        if request.ip and target.ip and request.ip != target.ip:
            self.report.fail(self._where(request), f"WARC-IP-Address {request.ip} differs "
                             f"from its {target.warc_type} {target.record_id}: {target.ip}",
                             offset=request.offset, record_id=request.record_id)

    # ---------------------------------------------------------------- revisits
    def check_revisits(self) -> None:
        by_uri_digest: dict[tuple[str | None, str | None], list[RecordInfo]] = defaultdict(list)
        for info in self.records.values():
            if info.warc_type in ("response", "resource"):
                by_uri_digest[(info.uri, info.payload_digest)].append(info)
        for info in self.records.values():
            if info.warc_type != "revisit":
                continue
            where, off, rid = self._where(info), info.offset, info.record_id
            uri = info.refers_to_uri or info.uri
            if info.refers_to:
                targets = self.by_id.get(info.refers_to)
                if not targets:
                    self.report.fail(where, f"WARC-Refers-To {info.refers_to} is not in the "
                                     "archive", offset=off, record_id=rid)
                    continue
                target = targets[0]
                problems = []
                if target.warc_type not in ("response", "resource", "revisit"):
                    problems.append(f"it is a {target.warc_type} record")
                if uri != target.uri:
                    problems.append(f"its URI is {target.uri}, revisit names {uri}")
                if info.payload_digest and info.payload_digest != target.payload_digest:
                    problems.append(f"its payload digest is {target.payload_digest}, revisit "
                                    f"names {info.payload_digest}")
                if info.refers_to_date:
                    match = _date_match(info.refers_to_date, target.date)
                    if match == "no":
                        problems.append(f"its WARC-Date is {target.date}, revisit names "
                                        f"{info.refers_to_date}")
                    elif match == "truncated":
                        self.coarse_refers_to_dates += 1
                for problem in problems:
                    self.report.fail(where, f"WARC-Refers-To {info.refers_to}: {problem}",
                                     offset=off, record_id=rid)
                continue
            candidates = by_uri_digest.get((uri, info.payload_digest), [])
            if not candidates:
                self.report.fail(where, f"revisit refers to {uri} with digest "
                                 f"{info.payload_digest}, but no such record is in the archive",
                                 offset=off, record_id=rid)
            elif info.refers_to_date:
                matches = {_date_match(info.refers_to_date, c.date) for c in candidates}
                if "exact" in matches:
                    continue
                if "truncated" in matches:
                    self.coarse_refers_to_dates += 1
                    continue
                self.report.fail(where, f"revisit refers to {uri} captured at "
                                 f"{info.refers_to_date}, but no record with that digest has "
                                 "that date", offset=off, record_id=rid)
        if self.coarse_refers_to_dates:
            self.report.notes.append(
                f"{self.coarse_refers_to_dates} revisits give WARC-Refers-To-Date with less "
                "precision than the original's WARC-Date (same instant, truncated; accepted)")

    # ---------------------------------------------------------------- pointers
    def locate(self, filename: str, offset: int, length: int) -> tuple[RecordInfo | None, str]:
        """The record exactly at (filename, offset, length), else why not."""
        if not filename or "/" in filename or "\\" in filename:
            return None, f"invalid WARC filename {filename!r}"
        if filename not in self.finished_files:
            if (self.layout.warc_dir / (filename + OPEN_SUFFIX)).exists():
                return None, f"points into unfinished file {filename}{OPEN_SUFFIX}"
            return None, f"points into missing WARC file {filename}"
        info = self.records.get((filename, offset))
        if info is None:
            for start, end in self.damaged.get(filename, []):
                if start <= offset < end:
                    return None, (f"points at {filename}@{offset}, inside a damaged part of "
                                  f"the file ({start}..{end})")
            return None, f"no record starts at {filename}@{offset}"
        if info.length != length:
            return info, (f"length {length} but the record at {filename}@{offset} is "
                          f"{info.length} bytes")
        return info, ""

    # ---------------------------------------------------------------- index
    def check_index(self) -> None:
        path = self.layout.index_path
        if not path.is_file():
            self.report.fail(INDEX_NAME, "index is missing")
            return
        covered: set[tuple[str, int]] = set()
        previous: str | None = None
        for lineno, line, entry in read_index(path, errors="replace"):
            where = f"{INDEX_NAME}:{lineno}"
            if not line.strip():
                self.report.fail(where, "empty line")
                continue
            if previous is not None and line < previous:
                self.report.fail(where, "index is not sorted: this line sorts before the "
                                 "previous one")
            previous = line
            if entry is None:
                continue
            self.report.index_lines += 1
            try:
                if isinstance(entry, CdxjError):
                    raise entry
                filename, offset, length = entry.location()
            except CdxjError as exc:
                self.report.fail(where, str(exc))
                continue
            fields, stamp = entry.fields, entry.timestamp
            url = fields.get("url")
            info, problem = self.locate(filename, offset, length)
            label = f"{url} {stamp}"
            if info is None:
                self.report.fail(where, f"{label}: {problem}")
                continue
            covered.add((info.filename, info.offset))
            rid = info.record_id
            if problem:
                self.report.fail(where, f"{label}: {problem}", record_id=rid)
            if info.warc_type not in INDEXED_TYPES | {"resource", "metadata"}:
                self.report.fail(where, f"{label}: points at a {info.warc_type} record",
                                 record_id=rid)
            if url != info.uri:
                self.report.fail(where, f"url {url} but the record's WARC-Target-URI is "
                                 f"{info.uri}", record_id=rid)
            expected_stamp = _timestamp(info.date)
            if stamp != expected_stamp:
                self.report.fail(where, f"{label}: timestamp {stamp} but the record's "
                                 f"WARC-Date is {info.date}", record_id=rid)
            digest = fields.get("digest")
            if digest and info.payload_digest and digest != info.payload_digest:
                self.report.fail(where, f"{label}: digest {digest} but the record has "
                                 f"{info.payload_digest}", record_id=rid)
        for info in self.records.values():
            if info.warc_type in INDEXED_TYPES and (info.filename, info.offset) not in covered:
                self.report.fail(self._where(info), f"{info.warc_type} for {info.uri} "
                                 f"({info.date}) is not in {INDEX_NAME}",
                                 offset=info.offset, record_id=info.record_id)

    # ---------------------------------------------------------------- items
    def check_items(self) -> None:
        if not self.layout.items_root.is_dir():
            self.report.notes.append("no items/ directory")
            return
        without = 0
        for path in self.layout.item_files():
            rel = self.rel(path)
            with open(path, encoding="utf-8", errors="replace") as fh:
                for lineno, raw in enumerate(fh, 1):
                    if not raw.strip():
                        continue
                    where = f"{rel}:{lineno}"
                    self.report.items += 1
                    try:
                        item = json.loads(raw)
                    except json.JSONDecodeError as exc:
                        self.report.fail(where, f"not valid JSON ({exc})")
                        continue
                    if not isinstance(item, dict):
                        self.report.fail(where, "item is not a JSON object")
                        continue
                    pointer = item.get("warc")
                    if pointer is None:
                        without += 1
                        continue
                    self.check_item_pointer(where, item, pointer)
        if without:
            self.report.notes.append(f"{without} items carry no warc pointer (not checked)")

    def check_item_pointer(self, where: str, item: dict, pointer: object) -> None:
        url = item.get("url")
        label = f"item {url}"
        if not isinstance(pointer, dict):
            self.report.fail(where, f"{label}: warc pointer is not an object")
            return
        try:
            filename = str(pointer["filename"])
            offset = int(pointer["offset"])
            length = int(pointer["length"])
        except (KeyError, TypeError, ValueError):
            self.report.fail(where, f"{label}: warc pointer lacks a valid filename/offset/length")
            return
        wanted_id = pointer.get("record_id")
        info, problem = self.locate(filename, offset, length)
        if info is None:
            self.report.fail(where, f"{label}: {problem}", record_id=wanted_id)
            return
        if problem:
            self.report.fail(where, f"{label}: {problem}", record_id=wanted_id)
        if wanted_id != info.record_id:
            self.report.fail(where, f"{label}: record_id {wanted_id} but the record at "
                             f"{filename}@{offset} is {info.record_id}")
        if info.warc_type not in POINTABLE_TYPES:
            self.report.fail(where, f"{label}: points at a {info.warc_type} record, not a "
                             "response", record_id=info.record_id)
        pages = item.get("pages")
        first_page = pages[0] if isinstance(pages, list) and pages else None
        if info.uri not in (url, first_page):
            self.report.fail(where, f"{label}: the record is for {info.uri}, not the item's "
                             "url or first page", record_id=info.record_id)

    # ---------------------------------------------------------------- all
    def run(self) -> Report:
        self.check_warcs()
        self.check_pairs()
        self.check_revisits()
        self.check_index()
        self.check_items()
        return self.report


def _date_match(refers_date: str, original_date: str | None) -> str:
    """'exact', 'truncated' (same instant at refers_date's lower precision) or 'no'."""
    if original_date is None:
        return "no"
    if refers_date == original_date:
        return "exact"
    try:
        wanted = datetime.fromisoformat(refers_date.strip()).astimezone(UTC)
        actual = datetime.fromisoformat(original_date.strip()).astimezone(UTC)
    except ValueError:
        return "no"
    if wanted == actual:
        return "exact"
    _, dot, rest = refers_date.partition(".")
    digits = len(rest.rstrip("Z").split("+")[0].split("-")[0]) if dot else 0
    step = 10 ** (6 - min(digits, 6))
    if wanted == actual.replace(microsecond=actual.microsecond // step * step):
        return "truncated"
    return "no"


def _timestamp(date: str | None) -> str | None:
    if not date:
        return None
    try:
        return iso_date_to_timestamp(date)
    except (ValueError, TypeError):
        return None


def verify_archive(archive_dir: Path, *, out=None, quiet: bool = False) -> Report:
    """Run every check on archive_dir; progress lines go to `out` unless quiet."""
    return Verifier(archive_dir, out=out, quiet=quiet).run()


# --------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("archive_dir", metavar="DIR", type=Path,
                        help="a finished crawl's ARCHIVE_DIR (with warc/, index.cdxj, items/)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print only failures and the summary line")


def run(args: argparse.Namespace) -> int:
    archive_dir: Path = args.archive_dir
    if not archive_dir.is_dir():
        print(f"error: {archive_dir} is not a directory", file=sys.stderr)
        return 2
    out = sys.stdout
    report = verify_archive(archive_dir, out=out, quiet=args.quiet)
    if not args.quiet:
        for note in report.notes:
            print(f"note: {note}", file=out)
        print(f"{INDEX_NAME}: {report.index_lines} lines", file=out)
    if report.failures:
        print(f"\nFAILURES ({len(report.failures)}):", file=out)
        for failure in report.failures:
            print(f"  {failure}", file=out)
    print(report.summary(), file=out)
    return 0 if report.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archive verify", description=HELP)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
