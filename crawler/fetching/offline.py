"""Keep CookiesMiddleware's tldextract on its bundled public suffix list, off the network.

Scrapy's CookiesMiddleware makes one module-level ``TLDExtract`` when its module is imported,
and by default that downloads the public suffix list on its first use (the first cookie):
offline, a timeout and a warning in every run. tldextract 5.4 and later read the list URLs of
a new extractor from ``TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS``, an empty value meaning no
download (a cached list or the bundled snapshot, enough to tell a public suffix for one news
site). That documented variable is the whole mechanism: the project's settings module imports
this one, and Scrapy reads the settings before it imports any middleware, so the variable is
in place before Scrapy's extractor is made. A value the user set (a local copy of the list,
say) is left alone. ``tests/test_offline.py`` proves no connection is attempted.
"""

from __future__ import annotations

import os

SUFFIX_LIST_URLS = "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"

os.environ.setdefault(SUFFIX_LIST_URLS, "")
