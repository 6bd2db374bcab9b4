"""The catalogue's tables, and opening the database.

Every version of every article is a row of ``articles`` (``newest`` marks the one a reader
searches); the two full-text tables index the newest versions only, so a search never has
to filter out superseded text. ``sections`` holds each section once (its newest listing),
``breadcrumbs`` each article row's place in the hierarchy, level by level, and
``catalog_files`` how far each run's item file has been read, which makes an update add
only what is new and a rerun add nothing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = 1

DDL = """
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    version INTEGER NOT NULL,
    newest INTEGER NOT NULL DEFAULT 0,
    run_id TEXT NOT NULL,
    title TEXT,
    source TEXT,
    author TEXT,
    editor TEXT,
    published TEXT,
    published_date TEXT,
    year INTEGER,
    section TEXT,
    breadcrumb TEXT,
    body TEXT,
    pages INTEGER,
    fetched TEXT,
    warc_filename TEXT,
    warc_offset INTEGER,
    warc_length INTEGER,
    warc_record_id TEXT,
    replay TEXT,
    UNIQUE (url, version)
);
CREATE INDEX IF NOT EXISTS articles_newest ON articles (newest, published_date);
-- Ranking reads these columns of every candidate (a one-character word is in most
-- articles), looked up by id: from this index, not from rows as wide as their text.
CREATE INDEX IF NOT EXISTS articles_rank ON articles (id, newest, published, url, title);
CREATE TABLE IF NOT EXISTS sections (
    url TEXT PRIMARY KEY,
    name TEXT,
    kind TEXT,
    parent TEXT,
    path TEXT,
    breadcrumb TEXT,
    list_pages INTEGER,
    run_id TEXT NOT NULL,
    fetched TEXT,
    warc_filename TEXT,
    warc_offset INTEGER,
    warc_length INTEGER,
    warc_record_id TEXT,
    replay TEXT
);
CREATE INDEX IF NOT EXISTS sections_path ON sections (path);
CREATE TABLE IF NOT EXISTS breadcrumbs (
    article_id INTEGER NOT NULL REFERENCES articles (id),
    depth INTEGER NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (article_id, depth)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS breadcrumbs_name ON breadcrumbs (name);
CREATE INDEX IF NOT EXISTS breadcrumbs_path ON breadcrumbs (path);
CREATE VIEW IF NOT EXISTS article_sections AS
    SELECT b.article_id, b.depth, b.name, s.url AS section_url
    FROM breadcrumbs b LEFT JOIN sections s ON s.path = b.path;
CREATE TABLE IF NOT EXISTS catalog_files (
    run_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    bytes_read INTEGER NOT NULL,
    PRIMARY KEY (run_id, kind)
);
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, body, source, author,
    content='articles', content_rowid='id', tokenize='trigram'
);
CREATE VIRTUAL TABLE IF NOT EXISTS articles_grams USING fts5(
    grams, content='', detail='none', tokenize='ascii'
);
"""

# What the full-text tables index of an article row, in their column order.
FTS_COLUMNS = ("title", "body", "source", "author")


def path_of(breadcrumb: list[str], depth: int) -> str:
    """A place in the hierarchy, as one string: the breadcrumb down to ``depth``."""
    return " > ".join(breadcrumb[: depth + 1])


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """The catalogue, created when missing (unless ``readonly``).

    The rollback journal, not WAL: a rebuild replaces the file by rename, and a WAL file
    left beside the old one would be read as the new one's.
    """
    if readonly:
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path} not found: run `python -m archive catalog DIR`")
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    else:
        conn = sqlite3.connect(path)
        conn.executescript(DDL)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    conn.row_factory = sqlite3.Row
    return conn
