"""Capturing every HTTP exchange into WARC/1.1.

Read in this order:

- ``warc.py``: ``WarcCapture`` records each exchange at ``response_downloaded`` (before any
  middleware changes it), writes identical payloads and 304s as revisit records, and hands
  the records to one background writer thread (``archive/writer.py``).
- ``exchange.py``: the exchange as it went over the wire (headers, reason phrase, when the
  fetch began), and the exact date and id of a payload's original record.
- ``filters.py``: what is kept out of ``warc/`` (maintenance pages, bodies too large once
  decoded; pages not the site's come from ``crawler/dedup/notsite.py``).
"""
