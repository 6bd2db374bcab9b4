"""Scheduled runs that cost what changed on the site, not what exists.

Read in this order:

- ``policy.py``: the recheck schedule's rules, pure (no Scrapy, no I/O): when an archived
  article, image, stylesheet or script is asked for again, how its interval grows while it
  comes back unchanged, and how an archive crawled in one go is spread over the days.
- ``recheck.py``: the schedule of one run (``RecheckSchedule``: the run's clock, whether it
  is a full sweep, what is due, what a check found), made by the run's owner
  (``crawler/run/owner.py``).
- ``middleware.py``: ``IncrementalMiddleware``, which asks for due pages with
  ``If-None-Match`` / ``If-Modified-Since``.

"Recheck" is asking for an archived page again; a "revisit" is a WARC record that refers to
an earlier capture (``archive/records.py``, ``DEDUP_REVISITS``).

Where the rest of a run meets it: the spider walks a column's later list pages only as far
as they show something new and yields the due URLs at its start; the WARC capture marks a
payload identical to its last capture (``UNCHANGED``) and writes a 304 as a revisit; the
version pipeline (``pipelines/version.py``) writes an article again only when its content
changed. The schedule rows live in the state database (``crawler/state/store.py``).
"""
