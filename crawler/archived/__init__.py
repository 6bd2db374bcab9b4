"""Working from what is archived instead of the site: re-extraction and ``warcshell``.

- ``responses.py``: the archive as the spider's callback saw it: which URLs are one page,
  and the response rebuilt from a WARC record (payload decoded, revisits resolved).
- ``reextraction.py``: items rebuilt from the archive alone (``scrapy reextract``), written
  atomically, the same items a crawl wrote.
"""
