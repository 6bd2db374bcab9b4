"""What outlives a run: the state database, an index of the WARCs and item files.

Read in this order:

- ``store.py``: ``CaptureState`` (SQLite, WAL): per URL its last capture, per payload where it
  was first archived, per article its version, the recheck schedule's rows; writes on a
  thread of its own, committed only after the files they describe are synced.
- ``records.py``: those rows as values, and how files are named in ``folded``.
- ``catchup.py``: on every start, the records and item lines the state has not folded in yet
  (the files are the truth; the state may lag behind them, never lead).
- ``forecast.py``: what falls due on the next days, for the report.
"""
