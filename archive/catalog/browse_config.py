"""The Datasette metadata of ``python -m archive browse``: what the browser shows of the
catalogue (facets, sorting, the search canned query, links to replay)."""

from __future__ import annotations

from typing import Any

DATABASE = "catalog"  # Datasette names a database after its file's stem

SEARCH_SQL = """select a.title, a.published, a.section, a.version,
  catalog_snippet(a.body, :q) as snippet, a.replay, a.url
from json_each(catalog_search(:q, 200)) as hit join articles a on a.id = hit.value
order by hit.key"""

_SEARCH_HELP = (
    "Finds every article whose newest version contains each word as typed (any length, "
    "1 character and up; Latin letters without case), title hits first, then relevance, "
    "then date. The articles table's search box does the same, with facets.")


def metadata(replay_base: str, title: str = "嵊州新闻网 archive") -> dict[str, Any]:
    return {
        "title": title,
        "description_html": (
            f'Catalogue of the archive. <a href="/{DATABASE}/search">Search</a> any text, or '
            f'<a href="/{DATABASE}/articles">browse the articles</a> by section, year and '
            f'source. Replay links open the captured page in <a href="{replay_base}/">pywb</a>.'),
        "plugins": {"archive-catalog": {"replay_base": replay_base}},
        "databases": {DATABASE: {
            "tables": {
                "articles": {
                    "facets": ["section", "year", "source"],
                    # Answered by the plugin (datasette_plugins/): any length, all words.
                    "fts_table": "articles_grams",
                    "fts_pk": "id",
                    "searchmode": "raw",
                    "sort_desc": "published",
                    "label_column": "title",
                    "description": "Every version of every article; newest = 1 marks the "
                                   "current one (the search box searches only those).",
                },
                "sections": {"facets": ["kind"], "label_column": "name"},
                "breadcrumbs": {"facets": ["depth", "name"]},
                "articles_grams": {"hidden": True},
                "catalog_files": {"hidden": True},
            },
            "queries": {"search": {
                "title": "Search the archive (Ctrl-F, any length)",
                "description": _SEARCH_HELP,
                "sql": SEARCH_SQL,
            }},
        }},
    }
