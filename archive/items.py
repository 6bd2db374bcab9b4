"""An archive's item files read back: every item, the newest per URL, and the record its
``warc`` pointer locates.

``wacz`` (the pages of pages.jsonl) and ``qa`` (the pages to load in a browser) both want
the newest item of each URL and the capture it was extracted from. ``verify`` checks the
same pointers its own way: it reports every fault, where these readers work around one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from archive.layout import ArchiveLayout
from archive.reader import ArchiveReadError, StoredRecord, read_record


def iter_items(archive_dir: Path) -> Iterator[tuple[Path, int, dict[str, Any]]]:
    """(file, line number, item) for every item, oldest run first, in file order.

    A line that is not a JSON object comes out as an empty item, so that line numbers and
    counts stay true.
    """
    for path in ArchiveLayout(archive_dir).item_files():
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except json.JSONDecodeError:
                    yield path, lineno, {}
                    continue
                yield path, lineno, item if isinstance(item, dict) else {}


def newest_items(
    archive_dir: Path, warnings: list[str]
) -> list[tuple[Path, int, dict[str, Any]]]:
    """The newest item of each url, in the order of each url's newest line.

    An item without a url is left out, with a warning.
    """
    newest: dict[str, tuple[Path, int, dict[str, Any]]] = {}
    for path, lineno, item in iter_items(archive_dir):
        url = item.get("url")
        if not isinstance(url, str) or not url:
            warnings.append(f"{path.relative_to(archive_dir)}:{lineno}: no url, skipped")
            continue
        newest.pop(url, None)  # re-insert so that order follows the newest occurrence
        newest[url] = (path, lineno, item)
    return list(newest.values())


def pointed_record(archive_dir: Path, item: dict[str, Any]) -> StoredRecord | str:
    """The record the item's ``warc`` pointer locates, or why there is none."""
    pointer = item.get("warc")
    if not isinstance(pointer, dict):
        return "no warc pointer"
    try:
        path = ArchiveLayout(archive_dir).warc_path(str(pointer["filename"]))
        return read_record(path, int(pointer["offset"]), int(pointer["length"]))
    except (KeyError, TypeError, ValueError, OSError, ArchiveReadError) as exc:
        return f"warc pointer unreadable ({exc})"
