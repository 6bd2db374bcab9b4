"""Capturing every HTTP exchange into WARC/1.1.

- ``warc.py``: ``WarcCapture`` records each exchange at ``response_downloaded`` (before any
  middleware changes it), writes identical payloads and 304s as revisit records, and hands
  the records to one background writer thread (``archive/writer.py``).
"""
