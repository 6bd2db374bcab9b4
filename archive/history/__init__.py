"""`python -m archive history DIR [-o FILE]`: the archive's runs on one self-contained page.

One point per run in each chart (requests, bytes written, new and changed articles,
failures, maintenance and not-the-site pages, the share read by the text conventions,
duration) and a table of runs (date, health, alerts, link to the report). The charts are
matplotlib's SVG, inlined; the page loads nothing (its Content-Security-Policy forbids it), so
it opens from a USB stick. ``runs`` reads the reports, ``page`` draws them, ``cli`` is the
command. No Scrapy here.
"""

from archive.history.cli import HELP, add_arguments, run

__all__ = ["HELP", "add_arguments", "run"]
