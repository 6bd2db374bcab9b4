"""Which pages to check: the newest article and section items, each at the capture its
``warc`` pointer locates, or a WACZ's own page list (``archive.qa.unpack``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.items import item_at, newest_item_places, pointed_record
from archive.replay.urls import wayback_timestamp

KINDS = {"articles": "article", "sections": "section"}


class QaSetupError(RuntimeError):
    """Nothing can be checked (no browser, no Playwright, no pages); the message says why."""


@dataclass
class PageJob:
    """One page to replay: the capture an item was extracted from, and what it must show."""

    kind: str
    url: str  # the item's canonical URL
    target: str  # the URL actually captured (WARC-Target-URI), which is what pywb knows
    timestamp: str  # 14 digits, from the WARC-Date of the item's record
    title: str | None
    paragraph: str | None


def _first_paragraph(item: dict[str, Any]) -> str | None:
    body = item.get("body")
    if not isinstance(body, str):
        return None
    return next((line.strip() for line in body.split("\n") if line.strip()), None)


def _locate(archive_dir: Path, item: dict[str, Any]) -> tuple[str, str] | str:
    """(captured URL, timestamp) of the record the item points at, or why there is none."""
    record = pointed_record(archive_dir, item)
    if isinstance(record, str):
        return record
    try:
        stamp = wayback_timestamp(record.rec_headers.get_header("WARC-Date"))
    except ValueError as exc:
        return f"warc pointer unreadable ({exc})"
    if not stamp or not record.target_uri:
        return "pointed record has no WARC-Date or WARC-Target-URI"
    return record.target_uri, stamp


def collect_pages(archive_dir: Path, warnings: list[str]) -> list[PageJob]:
    """Newest article and section item per URL, in the capture its warc pointer locates.

    The captured URL is used rather than the item's canonical one because pywb only knows
    what was fetched (a section's `dir/` rather than its `dir/index.shtml`, say). An item
    whose pointer cannot be read falls back to its URL and `fetched` time, so that it is still
    checked, with a warning (`verify` says what is wrong with the pointer).
    """
    pages: list[PageJob] = []
    for place in newest_item_places(archive_dir, warnings):  # one item in memory at a time
        path, lineno = place.path, place.lineno
        if path.stem not in KINDS:
            continue
        item = item_at(place)
        url = item["url"]
        located = _locate(archive_dir, item)
        if isinstance(located, str):
            try:
                fetched = wayback_timestamp(str(item.get("fetched") or ""))
            except ValueError:
                fetched = ""
            where = f"{path.relative_to(archive_dir)}:{lineno}"
            if not fetched:
                warnings.append(f"{where}: {url}: {located}, and no fetched time; not checked")
                continue
            warnings.append(f"{where}: {url}: {located}; checking its capture nearest "
                            f"{fetched}")
            located = (url, fetched)
        title = item.get("title") or item.get("name")
        pages.append(PageJob(KINDS[path.stem], url, located[0], located[1],
                             str(title) if title else None, _first_paragraph(item)))
    pages.sort(key=lambda p: (p.kind != "section", p.url))
    return pages


def sample_pages(pages: list[PageJob], n: int | None) -> list[PageJob]:
    """n pages spread evenly over the list (sections first, then articles by URL).

    Even spacing rather than a random draw: the same archive and n always give the same
    pages, so a rerun after a fix checks the page that failed.
    """
    if n is None or n >= len(pages):
        return list(pages)
    if n <= 0:
        return []
    step = len(pages) / n
    return [pages[int(i * step)] for i in range(n)]
