"""``index.cdxj`` parses, is sorted, lands on the records it names and leaves none out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archive.cdxj import CdxjError, read_index
from archive.layout import INDEX_NAME
from archive.verify.findings import INDEXED_TYPES
from archive.verify.since import report_unresolved, resolve, timestamp_of

if TYPE_CHECKING:
    from archive.verify.core import Verifier


def check_index(v: Verifier) -> None:
    path = v.layout.index_path
    if not path.is_file():
        v.report.fail(INDEX_NAME, "index is missing")
        return
    covered: set[tuple[str, int]] = set()
    previous: str | None = None
    for lineno, line, entry in read_index(path, errors="replace"):
        where = f"{INDEX_NAME}:{lineno}"
        if not line.strip():
            v.report.fail(where, "empty line")
            continue
        if previous is not None and line < previous:
            v.report.fail(where, "index is not sorted: this line sorts before the "
                          "previous one")
        previous = line
        if entry is None:
            continue
        v.report.index_lines += 1
        try:
            if isinstance(entry, CdxjError):
                raise entry
            filename, offset, length = entry.location()
        except CdxjError as exc:
            v.report.fail(where, str(exc))
            continue
        fields, stamp = entry.fields, entry.timestamp
        url = fields.get("url")
        info, problem = v.locate(filename, offset, length)
        label = f"{url} {stamp}"
        if info is None:
            if problem:
                v.report.fail(where, f"{label}: {problem}")
            else:  # a line into an older file --since does not read
                resolve(v, entry)
            continue
        covered.add((info.filename, info.offset))
        rid = info.record_id
        if problem:
            v.report.fail(where, f"{label}: {problem}", record_id=rid)
        if info.warc_type not in INDEXED_TYPES | {"resource", "metadata"}:
            v.report.fail(where, f"{label}: points at a {info.warc_type} record",
                          record_id=rid)
        if url != info.uri:
            v.report.fail(where, f"url {url} but the record's WARC-Target-URI is "
                          f"{info.uri}", record_id=rid)
        expected_stamp = timestamp_of(info.date)
        if stamp != expected_stamp:
            v.report.fail(where, f"{label}: timestamp {stamp} but the record's "
                          f"WARC-Date is {info.date}", record_id=rid)
        digest = fields.get("digest")
        if digest and info.payload_digest and digest != info.payload_digest:
            v.report.fail(where, f"{label}: digest {digest} but the record has "
                          f"{info.payload_digest}", record_id=rid)
    report_unresolved(v)
    for info in v.records.values():
        if info.warc_type in INDEXED_TYPES and (info.filename, info.offset) not in covered:
            v.report.fail(v.where_of(info), f"{info.warc_type} for {info.uri} "
                          f"({info.date}) is not in {INDEX_NAME}",
                          offset=info.offset, record_id=info.record_id)

