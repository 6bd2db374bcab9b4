"""Every revisit's original is in the archive and agrees on URI, payload digest and date."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from archive.verify.findings import RecordInfo
from archive.verify.since import original_key

if TYPE_CHECKING:
    from archive.verify.core import Verifier


def check_revisits(v: Verifier) -> None:
    by_uri_digest: dict[tuple[str | None, str | None], list[RecordInfo]] = defaultdict(list)
    for info in v.records.values():
        if info.warc_type in ("response", "resource"):
            by_uri_digest[(info.uri, info.payload_digest)].append(info)
    for info in v.records.values():
        if info.warc_type != "revisit":
            continue
        where, off, rid = v.where_of(info), info.offset, info.record_id
        uri = info.refers_to_uri or info.uri
        if info.refers_to:
            targets = v.by_id.get(info.refers_to)
            if not targets and v.since is not None:
                v.unresolved[original_key(info)].append(info)  # maybe in an older file
                continue
            if not targets:
                v.report.fail(where, f"WARC-Refers-To {info.refers_to} is not in the "
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
                    v.coarse_refers_to_dates += 1
            for problem in problems:
                v.report.fail(where, f"WARC-Refers-To {info.refers_to}: {problem}",
                              offset=off, record_id=rid)
            continue
        candidates = by_uri_digest.get((uri, info.payload_digest), [])
        if not candidates and v.since is not None:
            v.unresolved[original_key(info)].append(info)
            continue
        if not candidates:
            v.report.fail(where, f"revisit refers to {uri} with digest "
                          f"{info.payload_digest}, but no such record is in the archive",
                          offset=off, record_id=rid)
        elif info.refers_to_date:
            matches = {_date_match(info.refers_to_date, c.date) for c in candidates}
            if "exact" in matches:
                continue
            if "truncated" in matches:
                v.coarse_refers_to_dates += 1
                continue
            v.report.fail(where, f"revisit refers to {uri} captured at "
                          f"{info.refers_to_date}, but no record with that digest has "
                          "that date", offset=off, record_id=rid)
    if v.coarse_refers_to_dates:
        v.report.notes.append(
            f"{v.coarse_refers_to_dates} revisits give WARC-Refers-To-Date with less "
            "precision than the original's WARC-Date (same instant, truncated; accepted)")


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
