"""Keep CookiesMiddleware's tldextract on its bundled suffix list.

Scrapy builds a module-level ``TLDExtract`` that downloads the public suffix list on first
use; offline that costs a timeout and a warning on every run. The bundled snapshot is
enough to tell a public suffix for one news site.
"""

from scrapy.downloadermiddlewares import cookies
from tldextract import TLDExtract

cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)
