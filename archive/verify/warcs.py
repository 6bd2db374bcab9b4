"""The WARC files: every member inflates and frames one record, warcinfo first, ids unique."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from archive.layout import OPEN_SUFFIX, WARC_SUFFIX
from archive.members import RecordError, iter_members_resyncing, parse_record
from archive.verify.findings import RecordInfo
from archive.verify.records import check_record
from archive.verify.since import split_warcs

if TYPE_CHECKING:
    from archive.verify.core import Verifier


def check_warcs(v: Verifier) -> None:
    warc_dir = v.layout.warc_dir
    if not warc_dir.is_dir():
        v.report.fail(v.rel(warc_dir), f"no {v.rel(warc_dir)}/ directory")
        return
    paths = sorted(p for p in warc_dir.iterdir() if p.is_file())
    finished = v.layout.finished_warcs()
    checked = split_warcs(v, finished)
    for path in paths:
        if path.name.endswith(OPEN_SUFFIX):
            v.report.fail(v.rel(path), "unfinished WARC file (.open): a crawl is "
                          "still writing it, or was killed and it was never recovered")
        elif path not in finished:
            v.report.notes.append(f"{v.rel(path)}: not a WARC file, ignored")
    if not finished:
        items = [p for p in v.layout.item_files() if p.stat().st_size]
        if items or paths:
            v.report.fail(v.rel(warc_dir), f"no finished *{WARC_SUFFIX} files")
        else:  # a run that could write nothing at all (a full disk) claims nothing
            v.report.notes.append(f"{v.rel(warc_dir)}: empty, nothing archived yet")
    for path in checked:
        v.finished_files.add(path.name)
        check_warc(v, path)
    check_duplicate_ids(v)


def check_warc(v: Verifier, path: Path) -> None:
    where = v.rel(path)
    v.report.files += 1
    count = 0
    for member in iter_members_resyncing(path):
        if member.data is None:
            v.damaged[path.name].append((member.offset, member.offset + member.length))
            v.report.fail(where, f"broken gzip member: {member.error}",
                          offset=member.offset)
            continue
        try:
            record = parse_record(member.data)
        except RecordError as exc:
            v.damaged[path.name].append((member.offset, member.offset + member.length))
            v.report.fail(where, f"bad WARC record: {exc}", offset=member.offset)
            continue
        count += 1
        v.report.records += 1
        rid = record.get("WARC-Record-ID")
        warc_type = record.get("WARC-Type") or ""
        if count == 1 and warc_type != "warcinfo":
            v.report.fail(where, f"first record is {warc_type or 'untyped'}, "
                          "not warcinfo", offset=member.offset, record_id=rid)
        status = check_record(record, where, member.offset, v.report)
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
        v.records[(path.name, member.offset)] = info
        if rid:
            v.by_id[rid].append(info)
    v.info(f"{where}: {count} records")


def check_duplicate_ids(v: Verifier) -> None:
    for rid, infos in v.by_id.items():
        if len(infos) > 1:
            places = ", ".join(f"{v.where_of(i)}@{i.offset}" for i in infos)
            first = infos[0]
            v.report.fail(v.where_of(first), f"record id used {len(infos)} "
                          f"times: {places}", offset=first.offset, record_id=rid)
