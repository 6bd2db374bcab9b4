"""``verify --since RUN_ID``: check only what that run and later runs added.

The nightly fixity check of a years-old archive cannot read every WARC every night. Which
files a run added is known from names alone: a run id is its start (``YYYYMMDDTHHMMSSZ``)
and a WARC's name holds its creation time (``PREFIX-YYYYMMDDHHMMSSmmm-NNNNN-HOST``), so the
files of RUN_ID and later runs are those created at or after RUN_ID's start, and their items
are ``items/<run>/`` of those runs. Older files are not opened: index lines and item
pointers into them are skipped, and a revisit whose original is in one is resolved through
``index.cdxj`` (a line with the original's URL, digest and timestamp) instead of by reading.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from warcio.timeutils import iso_date_to_timestamp

from archive.cdxj import CdxjLine
from archive.layout import WARC_SUFFIX

if TYPE_CHECKING:
    from archive.verify.core import RecordInfo, Verifier

_RUN_ID = re.compile(r"^(\d{8})T(\d{6})Z$")
_WARC_STAMP = re.compile(r"-(\d{17})-\d{5}-")


def timestamp_of(date: str | None) -> str | None:
    if not date:
        return None
    try:
        return iso_date_to_timestamp(date)
    except (ValueError, TypeError):
        return None


def run_start(run_id: str) -> str:
    """The 17-digit stamp (as in WARC names) of a run's start, or ValueError."""
    match = _RUN_ID.match(run_id)
    if match is None:
        raise ValueError(f"not a run id (YYYYMMDDTHHMMSSZ): {run_id!r}")
    return match.group(1) + match.group(2) + "000"


def added_since(path: Path, start: str) -> bool:
    """Whether a WARC was created at or after ``start`` (a name without a stamp: yes)."""
    match = _WARC_STAMP.search(path.name)
    return match is None or match.group(1) >= start


def split_warcs(v: Verifier, finished: list[Path]) -> list[Path]:
    """The files to check; the others are remembered as present but not read."""
    if v.since is None:
        return finished
    start = run_start(v.since)
    checked = [p for p in finished if added_since(p, start)]
    # Names only: an older file may be on storage that is asleep, or gone unreadable.
    present = {p.name for p in v.layout.warc_dir.iterdir() if p.name.endswith(WARC_SUFFIX)}
    v.outside = (present | {p.name for p in finished}) - {p.name for p in checked}
    v.report.notes.append(f"--since {v.since}: {len(checked)} WARC files checked, "
                          f"{len(v.outside)} older ones not read")
    return checked


def item_files(v: Verifier) -> list[Path]:
    files = v.layout.item_files()
    if v.since is None:
        return files
    return [p for p in files if p.parent.name >= v.since]


def original_key(info: RecordInfo) -> tuple[str | None, str | None, str | None]:
    return (info.refers_to_uri or info.uri, info.payload_digest,
            timestamp_of(info.refers_to_date))


def resolve(v: Verifier, entry: CdxjLine) -> None:
    """An index line into an older file may be the original of a revisit checked here."""
    if not v.unresolved:
        return
    fields = entry.fields
    key = (fields.get("url"), fields.get("digest"), entry.timestamp)
    v.unresolved.pop(key, None)
    v.unresolved.pop((key[0], key[1], None), None)


def report_unresolved(v: Verifier) -> None:
    for infos in v.unresolved.values():
        for info in infos:
            v.report.fail(v.where_of(info), f"revisit of {info.refers_to_uri or info.uri}: "
                          "its original is neither in the files checked nor in the index",
                          offset=info.offset, record_id=info.record_id)
