"""An archive's item files read back: every item, the newest per URL, and the record its
``warc`` pointer locates.

``wacz`` (the pages of pages.jsonl) and ``qa`` (the pages to load in a browser) both want
the newest item of each URL and the capture it was extracted from; they hold where each is
(``newest_item_places``) and read one item at a time, never an archive's texts at once.
``verify`` checks the same pointers its own way: it reports every fault, where these
readers work around one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.layout import ArchiveLayout
from archive.reader import ArchiveReadError, StoredRecord, read_record


def iter_items(archive_dir: Path) -> Iterator[tuple[Path, int, dict[str, Any]]]:
    """(file, line number, item) for every item, oldest run first, in file order.

    A line that is not a JSON object comes out as an empty item, so that line numbers and
    counts stay true.
    """
    for path, lineno, _offset, item in _iter_placed_items(archive_dir):
        yield path, lineno, item


def _iter_placed_items(archive_dir: Path) -> Iterator[tuple[Path, int, int, dict[str, Any]]]:
    """As ``iter_items``, with each line's byte offset in its file (``item_at``)."""
    for path in ArchiveLayout(archive_dir).item_files():
        with open(path, "rb") as fh:
            offset = 0
            for lineno, line in enumerate(fh, 1):
                start, offset = offset, offset + len(line)
                if not line.strip():
                    continue
                yield path, lineno, start, _parse(line)


def _parse(line: bytes) -> dict[str, Any]:
    try:
        item = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return item if isinstance(item, dict) else {}


@dataclass(frozen=True)
class ItemPlace:
    """Where an item's line is: enough to read it again (``item_at``), and nothing more,
    so an archive of years is walked without holding its texts."""

    path: Path
    lineno: int
    offset: int


def item_at(place: ItemPlace) -> dict[str, Any]:
    with open(place.path, "rb") as fh:
        fh.seek(place.offset)
        return _parse(fh.readline())


def newest_item_places(archive_dir: Path, warnings: list[str]) -> list[ItemPlace]:
    """Where the newest item of each url is, in the order of each url's newest line.

    An item without a url is left out, with a warning."""
    newest: dict[str, ItemPlace] = {}
    for path, lineno, offset, item in _iter_placed_items(archive_dir):
        url = item.get("url")
        if not isinstance(url, str) or not url:
            warnings.append(f"{path.relative_to(archive_dir)}:{lineno}: no url, skipped")
            continue
        newest.pop(url, None)  # re-insert so that order follows the newest occurrence
        newest[url] = ItemPlace(path, lineno, offset)
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
