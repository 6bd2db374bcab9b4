"""The archive's catalogue: every article version and section in ``catalog.sqlite``, with
Ctrl-F full-text search for Chinese, its command line, and a Datasette browser over it.

Modules: ``schema`` (tables), ``text`` (folding, query terms, grams, snippets), ``update``
(a run's items in, rebuild), ``search`` (the query), ``cli_*`` (the ``catalog``, ``search``
and ``browse`` commands of ``python -m archive``). No Scrapy here; Datasette only as a
child process of ``browse`` (its plugin lives in ``datasette_plugins/``).
"""

from archive.catalog.search import Filters, Hit, search
from archive.catalog.update import Added, catalog_path, rebuild_catalog, update_catalog

__all__ = ["Added", "Filters", "Hit", "catalog_path", "rebuild_catalog", "search",
           "update_catalog"]
