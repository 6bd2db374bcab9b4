"""Every item's ``warc`` pointer lands exactly on a response/revisit for the item's URL."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from archive.verify.findings import POINTABLE_TYPES
from archive.verify.since import item_files

if TYPE_CHECKING:
    from archive.verify.core import Verifier


def check_items(v: Verifier) -> None:
    if not v.layout.items_root.is_dir():
        v.report.notes.append(f"no {v.rel(v.layout.items_root)}/ directory")
        return
    without = 0
    for path in item_files(v):
        rel = v.rel(path)
        with open(path, encoding="utf-8", errors="replace") as fh:
            for lineno, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                where = f"{rel}:{lineno}"
                v.report.items += 1
                try:
                    item = json.loads(raw)
                except json.JSONDecodeError as exc:
                    v.report.fail(where, f"not valid JSON ({exc})")
                    continue
                if not isinstance(item, dict):
                    v.report.fail(where, "item is not a JSON object")
                    continue
                pointer = item.get("warc")
                if pointer is None:
                    without += 1
                    continue
                check_item_pointer(v, where, item, pointer)
    if without:
        v.report.notes.append(f"{without} items carry no warc pointer (not checked)")


def check_item_pointer(v: Verifier, where: str, item: dict[str, Any], pointer: object) -> None:
    url = item.get("url")
    label = f"item {url}"
    if not isinstance(pointer, dict):
        v.report.fail(where, f"{label}: warc pointer is not an object")
        return
    try:
        filename = str(pointer["filename"])
        offset = int(pointer["offset"])
        length = int(pointer["length"])
    except (KeyError, TypeError, ValueError):
        v.report.fail(where, f"{label}: warc pointer lacks a valid filename/offset/length")
        return
    wanted_id = pointer.get("record_id")
    info, problem = v.locate(filename, offset, length)
    if info is None:
        if problem:  # none: a pointer into a file --since does not read
            v.report.fail(where, f"{label}: {problem}", record_id=wanted_id)
        return
    if problem:
        v.report.fail(where, f"{label}: {problem}", record_id=wanted_id)
    if wanted_id != info.record_id:
        v.report.fail(where, f"{label}: record_id {wanted_id} but the record at "
                      f"{filename}@{offset} is {info.record_id}")
    if info.warc_type not in POINTABLE_TYPES:
        v.report.fail(where, f"{label}: points at a {info.warc_type} record, not a "
                      "response", record_id=info.record_id)
    pages = item.get("pages")
    first_page = pages[0] if isinstance(pages, list) and pages else None
    if info.uri not in (url, first_page):
        v.report.fail(where, f"{label}: the record is for {info.uri}, not the item's "
                      "url or first page", record_id=info.record_id)
