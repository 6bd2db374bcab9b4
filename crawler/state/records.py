"""The rows of the state database (``crawler/state/store.py``) as values, and how the files
they come from are named in its ``folded`` table; shared with the catch-up's readers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from archive.layout import ITEMS_DIR, WARC_DIR


@dataclass(frozen=True)
class Capture:
    url: str
    status: int
    digest: str | None
    etag: str | None
    last_modified: str | None
    warc_date: str
    record_id: str | None
    run_id: str


class Version(NamedTuple):
    """An article's newest version: its number, the run that made it, its content key."""

    number: int
    run_id: str
    content: str | None


NO_VERSION = Version(0, "", None)


@dataclass(frozen=True)
class Payload:
    """Where a payload was first archived: what an identical-payload revisit refers to.

    Rows an older release seeded from an index have whole-second dates and no record id;
    ``location`` (file name, offset, length) lets the caller read the exact ones once. (The
    state now learns payloads from the WARCs themselves: ``catch_up``.)
    """

    digest: str
    url: str
    warc_date: str
    record_id: str | None
    location: tuple[str, int, int] | None = None


def warc_source(filename: str) -> str:
    """How a WARC file is named in ``folded``."""
    return f"{WARC_DIR}/{filename}"


def item_source(path: Path, items_root: Path) -> str:
    """How an item file is named in ``folded`` (``items/<run>/articles.jsonl``)."""
    return f"{ITEMS_DIR}/{path.relative_to(items_root).as_posix()}"
