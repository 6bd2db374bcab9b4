"""Datasette plugin of ``python -m archive browse`` (loaded with ``--plugins-dir``).

* The articles table's search box gives the command line's matches. Datasette's own
  ``_search`` is one FTS5 MATCH of the table's ``fts_table``, and the trigram index
  matches nothing shorter than three characters (a two-character word such as 越剧 would
  find nothing). So the ``fts_table`` declared is the gram table, searched in raw mode,
  and this plugin, run after Datasette's filter, puts its own MATCH in the ``search``
  parameter (every short word and every two characters of the long ones, which each hit
  holds) and adds the exact condition (archive.catalog.search.match_clause: trigram
  phrases, newest versions). Facets, sorting and the JSON API work on the result.
* ``catalog_search(q)`` and ``catalog_snippet(text, q)`` serve the ``search`` canned query:
  the command line's ranking and highlighted snippets, in the browser.
* A ``replay`` cell links to the capture in the pywb that ``browse`` started.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from datasette import hookimpl
from datasette.filters import FilterArguments
from markupsafe import Markup, escape

from archive.catalog.search import match_clause, search
from archive.catalog.text import plan, snippet, terms

PLUGIN = "archive-catalog"
TABLES = ("articles",)


@hookimpl(trylast=True)  # after Datasette's search filter: our ``search`` parameter wins
def filters_from_request(request: Any, database: str, table: str,
                         datasette: Any) -> FilterArguments | None:
    if table not in TABLES or "_search" not in request.args:
        return None
    p = plan(request.args.get("_search", ""))
    prefilter = p.gram_prefilter()
    if prefilter is None:
        return FilterArguments(["0"], {"search": '""'})  # nothing to find: no row
    where, params = match_clause(p, alias=table)
    return FilterArguments([where], {**params, "search": prefilter})


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    def catalog_search(query: str | None, limit: int | None = 100) -> str:
        factory = conn.row_factory
        conn.row_factory = sqlite3.Row
        try:
            return json.dumps([h.id for h in search(conn, query or "", limit=limit)])
        finally:
            conn.row_factory = factory

    def catalog_snippet(text: str | None, query: str | None) -> str:
        return snippet(text or "", terms(query or ""))

    conn.create_function("catalog_search", 1, catalog_search)
    conn.create_function("catalog_search", 2, catalog_search)
    conn.create_function("catalog_snippet", 2, catalog_snippet)


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str,
                datasette: Any) -> Markup | None:
    if column == "snippet" and isinstance(value, str):
        marked = str(escape(value)).replace("«", "<mark>").replace("»", "</mark>")
        return Markup(marked)
    if column != "replay" or not isinstance(value, str) or not value.startswith("/"):
        return None
    base = (datasette.plugin_config(PLUGIN) or {}).get("replay_base", "")
    return Markup(f'<a class="replay" href="{escape(base + value)}">replay</a>')
