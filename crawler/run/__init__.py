"""One run: who owns it, how it ends, what it reports.

Read in this order:

- ``owner.py``: ``ArchiveRun``, the Scrapy add-on built before every other component, which
  opens what the run needs in one order (recover ``.open`` WARCs, open the state, catch up,
  the recheck schedule, the deferrals, the work log); components take it in ``from_crawler``.
- ``context.py``: the run's identity and shared record (``RunContext``, ``RunSummary``).
- ``end.py``: ``RunEnd`` closes in the reverse order (WARC writer, work log, state), releases
  the disk reserve, rebuilds the index and writes the report; a failing step is counted and
  the next ones run.
- ``report.py`` and ``outcome.py``: the report's keys, and whether the run failed.
- ``diskfull.py``: a failed write (a full disk) ends the run once, with one message; the
  reserve that leaves room for the run's end.
- ``progress.py``, ``loglevel.py``: the crawl's progress lines and per-logger levels.
"""
