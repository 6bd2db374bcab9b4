"""A local, deterministic replica of 嵊州新闻网 for tests and the demo crawl.

See `model` (site data), `render` (markup), `server` (HTTP origin/proxy), `expected` (what a
correct crawl yields) and `testing.start_replica` (run it as a subprocess).
"""
