"""Datasette plugins of `python -m archive browse`, loaded by path (`--plugins-dir`)."""
