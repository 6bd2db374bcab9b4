"""Every response/revisit has exactly one request naming it, and they agree on URI and date."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from archive.verify.findings import INDEXED_TYPES, RecordInfo

if TYPE_CHECKING:
    from archive.verify.core import Verifier


def check_pairs(v: Verifier) -> None:
    requests_for: dict[str, list[RecordInfo]] = defaultdict(list)
    for info in v.records.values():
        if info.warc_type != "request":
            continue
        if len(info.concurrent_to) != 1:
            v.report.fail(v.where_of(info), f"request has {len(info.concurrent_to)} "
                          "WARC-Concurrent-To headers, expected 1",
                          offset=info.offset, record_id=info.record_id)
        for target_id in info.concurrent_to:
            targets = v.by_id.get(target_id)
            if not targets:
                v.report.fail(v.where_of(info), f"WARC-Concurrent-To {target_id} "
                              "points at no record in the archive",
                              offset=info.offset, record_id=info.record_id)
                continue
            target = targets[0]
            if target.warc_type not in INDEXED_TYPES:
                v.report.fail(v.where_of(info), f"WARC-Concurrent-To {target_id} is "
                              f"a {target.warc_type} record, not a response/revisit",
                              offset=info.offset, record_id=info.record_id)
                continue
            requests_for[target_id].append(info)
            _compare_pair(v, target, info)
    for info in v.records.values():
        if info.warc_type not in INDEXED_TYPES:
            continue
        found = requests_for.get(info.record_id or "", [])
        if len(found) != 1:
            what = "no request record" if not found else f"{len(found)} request records"
            v.report.fail(v.where_of(info), f"{info.warc_type} for {info.uri} has "
                          f"{what} pointing at it (WARC-Concurrent-To)",
                          offset=info.offset, record_id=info.record_id)


def _compare_pair(v: Verifier, target: RecordInfo, request: RecordInfo) -> None:
    for label, a, b in (
        ("WARC-Target-URI", request.uri, target.uri),
        ("WARC-Date", request.date, target.date),
    ):
        if a != b:
            v.report.fail(v.where_of(request), f"{label} {a!r} differs from its "
                          f"{target.warc_type} {target.record_id}: {b!r}",
                          offset=request.offset, record_id=request.record_id)
    if request.ip and target.ip and request.ip != target.ip:
        v.report.fail(v.where_of(request), f"WARC-IP-Address {request.ip} differs "
                      f"from its {target.warc_type} {target.record_id}: {target.ip}",
                      offset=request.offset, record_id=request.record_id)
