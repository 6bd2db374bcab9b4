"""Adding a run's items to the catalogue, and rebuilding it from every run.

A run's end adds that run's item files only, from where the catalogue last stopped reading
them (``catalog_files``): the work is proportional to what the run exported, never to the
archive. Rows are unique by (url, version), so a resumed run, a rerun of the same run id
or a rebuild never duplicates one. The whole update is one transaction: a failure leaves
the catalogue as it was, and it can always be rebuilt from the item files.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.catalog.schema import FTS_COLUMNS, connect, path_of
from archive.catalog.text import grams
from archive.durable import replaced_atomically
from archive.layout import ITEM_FILES, ArchiveLayout
from archive.replay.collection import DEFAULT_COLLECTION
from archive.replay.urls import replay_url

CATALOG_NAME = "catalog.sqlite"


def catalog_path(layout: ArchiveLayout) -> Path:
    return layout.root / CATALOG_NAME


@dataclass
class Added:
    """What one update added (counted in the run's stats)."""

    articles: int = 0
    sections: int = 0
    skipped: int = 0  # lines unreadable or without a url


def replay_path(url: str, fetched: str | None, collection: str = DEFAULT_COLLECTION) -> str:
    """pywb's ``/<collection>/<14-digit timestamp>/<url>``: ``fetched`` is the WARC-Date of
    the record the item was extracted from (crawler.items.fetched_at)."""
    return replay_url("", collection, fetched or "", url, "")


def _new_lines(path: Path, start: int) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """(end offset, item) of each whole line after ``start``; a line cut by a kill (no
    newline yet) is left for the next update."""
    with open(path, "rb") as fh:
        fh.seek(start)
        pos = start
        for line in fh:
            if not line.endswith(b"\n"):
                return
            pos += len(line)
            try:
                item = json.loads(line)
            except ValueError:
                item = None
            yield pos, item if isinstance(item, dict) and item.get("url") else None


def _pointer(item: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    warc = item.get("warc")
    if not isinstance(warc, dict):
        return None, None, None, None
    return warc.get("filename"), warc.get("offset"), warc.get("length"), warc.get("record_id")


def _breadcrumb(item: dict[str, Any]) -> list[str]:
    crumbs = item.get("breadcrumb")
    return [str(c) for c in crumbs] if isinstance(crumbs, list) else []


def _add_article(conn: sqlite3.Connection, item: dict[str, Any], run_id: str,
                 newest: bool) -> int | None:
    """Insert an article version; its row id, or None when the catalogue has it already."""
    crumbs = _breadcrumb(item)
    published = item.get("published") or None
    date = published[:10] if isinstance(published, str) and len(published) >= 10 else None
    pages = item.get("pages")
    cur = conn.execute(
        "INSERT OR IGNORE INTO articles (url, version, newest, run_id, title, source, author,"
        " editor, published, published_date, year, section, breadcrumb, body, pages, fetched,"
        " warc_filename, warc_offset, warc_length, warc_record_id, replay)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (item["url"], _version(item), int(newest), run_id, item.get("title"),
         item.get("source"), item.get("author"), item.get("editor"), published, date,
         int(date[:4]) if date and date[:4].isdigit() else None,
         crumbs[-1] if crumbs else None, " > ".join(crumbs), item.get("body"),
         len(pages) if isinstance(pages, list) else None, item.get("fetched"),
         *_pointer(item), replay_path(item["url"], item.get("fetched"))),
    )
    if not cur.rowcount:
        return None
    conn.executemany(
        "INSERT INTO breadcrumbs (article_id, depth, name, path) VALUES (?,?,?,?)",
        [(cur.lastrowid, d, name, path_of(crumbs, d)) for d, name in enumerate(crumbs)],
    )
    return cur.lastrowid


def _version(item: dict[str, Any]) -> int:
    return int(item.get("version") or 1)


def _add_section(conn: sqlite3.Connection, item: dict[str, Any], run_id: str) -> bool:
    """Each section once, as its newest run listed it (runs are added in order)."""
    crumbs = _breadcrumb(item)
    cur = conn.execute(
        "INSERT INTO sections (url, name, kind, parent, path, breadcrumb, list_pages, run_id,"
        " fetched, warc_filename, warc_offset, warc_length, warc_record_id, replay)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT (url) DO UPDATE SET name=excluded.name, kind=excluded.kind,"
        " parent=excluded.parent, path=excluded.path, breadcrumb=excluded.breadcrumb,"
        " list_pages=excluded.list_pages, run_id=excluded.run_id, fetched=excluded.fetched,"
        " warc_filename=excluded.warc_filename, warc_offset=excluded.warc_offset,"
        " warc_length=excluded.warc_length, warc_record_id=excluded.warc_record_id,"
        " replay=excluded.replay WHERE excluded.run_id >= sections.run_id",
        (item["url"], item.get("name"), item.get("kind"), item.get("parent"),
         " > ".join(crumbs), " > ".join(crumbs), item.get("list_pages"), run_id,
         item.get("fetched"), *_pointer(item), replay_path(item["url"], item.get("fetched"))),
    )
    return bool(cur.rowcount)


_COLS = ", ".join(FTS_COLUMNS)
_MARKS = ", ".join("?" * len(FTS_COLUMNS))


def _index(conn: sqlite3.Connection, rows: list[tuple[int, list[Any]]], *, add: bool) -> None:
    """Put rows' text (id, values of FTS_COLUMNS) into the full-text tables, or take it out
    (neither table keeps a copy of the text: taking out needs the values that went in)."""
    if not rows:
        return
    fts = [(row_id, *values) for row_id, values in rows]
    gram_rows = [(row_id, grams(values)) for row_id, values in rows]
    if add:
        conn.executemany(f"INSERT INTO articles_fts (rowid, {_COLS}) VALUES (?, {_MARKS})", fts)
        conn.executemany("INSERT INTO articles_grams (rowid, grams) VALUES (?, ?)", gram_rows)
    else:
        conn.executemany(f"INSERT INTO articles_fts (articles_fts, rowid, {_COLS})"
                         f" VALUES ('delete', ?, {_MARKS})", fts)
        conn.executemany("INSERT INTO articles_grams (articles_grams, rowid, grams)"
                         " VALUES ('delete', ?, ?)", gram_rows)


def _newest_rows(conn: sqlite3.Connection, urls: list[str]) -> dict[str, sqlite3.Row]:
    """The newest row the catalogue has of each url (with its indexed text)."""
    found: dict[str, sqlite3.Row] = {}
    for start in range(0, len(urls), 500):
        chunk = urls[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"SELECT id, url, version, {_COLS} FROM articles"
                                f" WHERE newest = 1 AND url IN ({marks})", chunk):
            found[row["url"]] = row
    return found


def _add_articles(conn: sqlite3.Connection, items: list[dict[str, Any]], run_id: str) -> int:
    """Insert new versions; only the highest version of a url is ``newest`` and indexed,
    so a new one takes the place of the one before it in the full-text tables."""
    current = _newest_rows(conn, list({item["url"] for item in items}))
    top: dict[str, int] = {}
    for item in items:
        top[item["url"]] = max(top.get(item["url"], 0), _version(item))
    indexed: list[tuple[int, list[Any]]] = []
    added = 0
    for item in items:
        old = current.get(item["url"])
        newest = _version(item) == top[item["url"]] and (old is None
                                                         or _version(item) > old["version"])
        row_id = _add_article(conn, item, run_id, newest)
        if row_id is None:
            continue
        added += 1
        if newest:
            indexed.append((row_id, [item.get(c) for c in FTS_COLUMNS]))
    superseded = [old for url, old in current.items() if top[url] > old["version"]]
    conn.executemany("UPDATE articles SET newest = 0 WHERE id = ?",
                     [(old["id"],) for old in superseded])
    _index(conn, [(old["id"], [old[c] for c in FTS_COLUMNS]) for old in superseded], add=False)
    _index(conn, indexed, add=True)
    return added


def add_run(conn: sqlite3.Connection, layout: ArchiveLayout, run_id: str) -> Added:
    """Add what a run's item files hold beyond what was read of them before (one
    transaction, committed here)."""
    added = Added()
    with conn:
        for kind in ("sections", "articles"):
            path = layout.item_file(run_id, kind)
            if not path.is_file():
                continue
            row = conn.execute("SELECT bytes_read FROM catalog_files WHERE run_id=? AND kind=?",
                               (run_id, kind)).fetchone()
            start = row[0] if row else 0
            if start > path.stat().st_size:
                start = 0  # rewritten (shorter) since: read again, duplicates are ignored
            end = start
            items = []
            for end, item in _new_lines(path, start):  # noqa: B007 - end is kept
                if item is None:
                    added.skipped += 1
                elif kind == "articles":
                    items.append(item)
                elif _add_section(conn, item, run_id):
                    added.sections += 1
            if items:
                added.articles += _add_articles(conn, items, run_id)
            conn.execute("INSERT INTO catalog_files (run_id, kind, bytes_read) VALUES (?,?,?)"
                         " ON CONFLICT (run_id, kind) DO UPDATE SET bytes_read=excluded.bytes_read",
                         (run_id, kind, end))
    return added


def update_catalog(archive_dir: Path, run_id: str) -> Added:
    """The run's end hook: add one run's new items to ``ARCHIVE_DIR/catalog.sqlite``."""
    layout = ArchiveLayout(Path(archive_dir))
    conn = connect(catalog_path(layout))
    total = Added()
    try:
        for missed in runs_since_last(conn, layout, run_id):
            added = add_run(conn, layout, missed)
            total.articles += added.articles
            total.sections += added.sections
            total.skipped += added.skipped
    finally:
        conn.close()
    return total


def runs_since_last(conn: sqlite3.Connection, layout: ArchiveLayout, run_id: str) -> list[str]:
    """The runs to add at ``run_id``'s end: itself, and any run after the last one the
    catalogue holds whose end did not add it (a failed update, or a catalogue new to an
    older archive). Only the items/ folder is listed; no older item file is opened."""
    last = conn.execute("SELECT max(run_id) FROM catalog_files").fetchone()[0]
    missed = [r for r in run_ids(layout) if (last is None or r > last) and r < run_id]
    return [*missed, run_id]


def run_ids(layout: ArchiveLayout) -> list[str]:
    """Every run with item files, oldest first (run ids sort by time)."""
    if not layout.items_root.is_dir():
        return []
    return sorted(p.name for p in layout.items_root.iterdir()
                  if p.is_dir() and any((p / name).is_file() for name in ITEM_FILES.values()))


def rebuild_catalog(archive_dir: Path) -> Added:
    """The whole catalogue anew from every run's items, put in place by rename: a reader
    (a running ``browse``) keeps the old file until it reopens."""
    layout = ArchiveLayout(Path(archive_dir))
    total = Added()
    with replaced_atomically(catalog_path(layout)) as tmp:
        conn = connect(tmp)
        # A file nobody reads until it is whole and synced (put_in_place): no journal.
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-65536")
        try:
            for run_id in run_ids(layout):
                added = add_run(conn, layout, run_id)
                total.articles += added.articles
                total.sections += added.sections
                total.skipped += added.skipped
            conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")
            conn.execute("INSERT INTO articles_grams (articles_grams) VALUES ('optimize')")
            conn.commit()
        finally:
            conn.close()
        # A killed update's hot journal would be played back into the file put in place
        # under this name; the old file it belongs to is being replaced whole.
        for leftover in ("-journal", "-wal", "-shm"):
            catalog_path(layout).with_name(catalog_path(layout).name + leftover).unlink(
                missing_ok=True)
    return total
