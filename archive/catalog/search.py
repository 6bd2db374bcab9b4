"""Ctrl-F search over the newest version of every article.

Every term must occur (in the title, body, source or author) as a substring. Terms of
three characters and more are answered by the trigram index, shorter ones by the gram
index; both index only the newest versions, so a hit is always a current text. Ranking:
articles with more terms in the title first, then bm25 relevance (of the trigram index:
title counts most), then the newest publication date. A query of short terms only has no
bm25 to give (the gram index keeps no counts), nor has a word more than RELEVANCE_LIMIT
articles hold: title hits, then date.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from archive.catalog.text import Plan, fold, plan, snippet

# bm25 weights of articles_fts' columns: title, body, source, author.
WEIGHTS = (10.0, 1.0, 2.0, 2.0)
# Beyond this many matches, relevance is not computed (bm25 costs about 2 µs an article and
# says little of a word most articles hold): title hits, then date.
RELEVANCE_LIMIT = 5000


@dataclass
class Hit:
    id: int  # the article row's id in catalog.sqlite
    url: str
    title: str | None
    published: str | None
    version: int
    section: str | None
    source: str | None
    author: str | None
    snippet: str
    replay: str
    warc_filename: str | None
    warc_offset: int | None
    warc_length: int | None
    in_title: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Filters:
    since: str | None = None  # YYYY-MM-DD (or a prefix), inclusive
    until: str | None = None  # YYYY-MM-DD (or a prefix), inclusive
    section: str | None = None  # a breadcrumb level's name


def match_clause(p: Plan, alias: str = "a") -> tuple[str, dict[str, Any]]:
    """SQL restricting ``alias`` (articles) to the newest rows holding every term: usable
    on its own (the browse page's plugin adds it to Datasette's table view)."""
    where, params = _conditions(p, alias)
    return " AND ".join(where), params


def _conditions(p: Plan, alias: str) -> tuple[list[str], dict[str, Any]]:
    where = [f"{alias}.newest = 1"]
    params: dict[str, Any] = {}
    if p.trigram_match():
        where.append(f"{alias}.id IN (SELECT rowid FROM articles_fts"
                     " WHERE articles_fts MATCH :catalog_long)")
        params["catalog_long"] = p.trigram_match()
    if p.gram_match():
        where.append(f"{alias}.id IN (SELECT rowid FROM articles_grams"
                     " WHERE articles_grams MATCH :catalog_short)")
        params["catalog_short"] = p.gram_match()
    return where, params


def _filters(f: Filters) -> tuple[list[str], dict[str, Any]]:
    where, params = [], {}
    if f.since:
        where.append("a.published_date >= :since")
        params["since"] = f.since
    if f.until:
        where.append("substr(a.published_date, 1, length(:until)) <= :until")
        params["until"] = f.until
    if f.section:
        where.append("a.id IN (SELECT article_id FROM breadcrumbs WHERE name = :section)")
        params["section"] = f.section
    return where, params


def search(conn: sqlite3.Connection, query: str, *, limit: int | None = 20,
           filters: Filters = Filters()) -> list[Hit]:
    """The newest articles holding every term of ``query``, best first."""
    p = plan(query)
    if p.empty:
        return []
    where, params = _conditions(p, "a")
    more, more_params = _filters(filters)
    params.update(more_params)
    terms = p.long + p.short
    # Title hits counted in SQL on ASCII-lowered text; exact folding only ranks, never filters.
    title_hits = " + ".join(f"(instr(lower(coalesce(a.title, '')), :t{i}) > 0)"
                            for i in range(len(terms)))
    params.update({f"t{i}": fold(t) for i, t in enumerate(terms)})
    if p.trigram_match():
        score = f"bm25(articles_fts, {', '.join(map(str, WEIGHTS))})"
        matches = conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?",
                               (p.trigram_match(),)).fetchone()[0]
        if matches > RELEVANCE_LIMIT:
            score = "0"
        source = ("articles_fts JOIN articles a INDEXED BY articles_rank"
                  " ON a.id = articles_fts.rowid")
        where[1] = "articles_fts MATCH :catalog_long"  # the join itself, not a sub-select
    else:
        score, source = "0", "articles a INDEXED BY articles_rank"
    # Ranked on the columns before the body only: sorting whole rows would copy every
    # candidate's text (a one-character query matches most articles).
    sql = (f"SELECT a.id, ({title_hits}) AS in_title, {score} AS score FROM {source}"
           f" WHERE {' AND '.join(where + more)}"
           " ORDER BY in_title DESC, score, a.published DESC, a.url")
    if limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = limit
    ranked = [(r[0], r[1]) for r in conn.execute(sql, params)]
    rows = {}
    for start in range(0, len(ranked), 500):
        ids = [i for i, _ in ranked[start:start + 500]]
        marks = ",".join("?" * len(ids))
        rows.update((r["id"], r) for r in
                    conn.execute(f"SELECT * FROM articles WHERE id IN ({marks})", ids))
    hits = []
    for row_id, in_title in ranked:
        row = rows[row_id]
        text = row["body"] or ""
        in_body = any(fold(t) in fold(text) for t in terms)
        shown = snippet(text if in_body or not row["title"] else row["title"], terms)
        hits.append(Hit(
            id=row["id"], url=row["url"], title=row["title"], published=row["published"],
            version=row["version"], section=row["section"], source=row["source"],
            author=row["author"], snippet=shown, replay=row["replay"],
            warc_filename=row["warc_filename"], warc_offset=row["warc_offset"],
            warc_length=row["warc_length"], in_title=in_title,
        ))
    return hits
