"""Getting a page: the download, its limits, and what happens when it fails.

Read in this order:

- ``downloader.py``: Scrapy's HTTP/1.1 handler that caps response headers and marks when a
  fetch began (the WARC capture's dates).
- ``compression.py``: decoding a body under ``DOWNLOAD_MAXSIZE`` (gzip bombs stay out);
  ``nosniff.py`` keeps compressed bodies from being sniffed as text.
- ``retry.py``: Scrapy's retries with back-off and ``Retry-After``, through ``deferral.py``:
  requests that come back later without holding a download slot.
- ``failures.py``: why a fetch failed, and which failures are carried over to the next run.
- ``offline.py``: tldextract's suffix list from the package, never from the network.
"""
