"""A run that survives being killed at any moment, losing and duplicating nothing.

Read in this order:

- ``job.py``: one run at a time per ``ARCHIVE_DIR`` (a lock), the run id a restarted crawl
  continues under, and the work log: ``+`` when a request is scheduled, ``-`` when its work
  is done. What has a ``+`` and no ``-`` is put back by the next start
  (``SznewsSpider.start`` asks ``InflightLog.unfinished``).
- ``tracker.py``: who writes those lines. ``JobTracker`` (an extension) writes ``+`` at
  Scrapy's ``request_scheduled``; ``JobDoneMiddleware`` (a spider middleware) writes ``-``
  once every request a callback yielded is scheduled and every item it yielded is written
  (Scrapy's ``item_scraped``) or dropped on purpose.
- ``scheduler.py``: Scrapy's scheduler without the disk queue a SIGKILL can corrupt, and a
  duplicate filter that survives a full disk.
- on every start, the state database folds in what the WARCs and item files hold beyond
  what it knows (``crawler/state/catchup.py``): the files are the truth, the state may lag
  behind them after a kill but never leads.
- ``killpoints.py``: the kill tests' hook, which cuts a run between two steps whose order
  matters.

``crawler/commands/crawl.py`` takes the lock and continues an unfinished run; the WARC
writer's ``.open`` files and their recovery are ``archive/writer.py``'s.
"""
