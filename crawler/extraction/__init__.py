"""Extraction: a page's bytes and URL in, plain typed data out.

Nothing here touches Scrapy, so the same code serves the live crawl, ``scrapy parse``,
offline re-extraction from WARCs (``crawler/archived/reextraction.py``) and the unit tests on the
sample pages. What cannot be found is ``None`` plus a line in ``problems``, never an
exception.

Read in this order (each module builds only on the ones above it):

- ``page.py``: the page model. ``parse_html`` / ``parse_response`` decode and parse a page
  once (``ParsedPage``); ``Reading`` is what one way of reading an article page found;
  ``ArticlePage`` and ``SectionPage`` are what a page is (their heads, ``ArticleHead`` and
  ``SectionHead``, are also the start of the exported items in ``crawler/items.py``).
- ``conventions.py``: what every reading shares: text cleaning, dates and the meta line,
  absolute links, ``<title>`` without the site's name, a body's paragraphs, images and
  captions, the pages of an article, related articles.
- ``template.py``: reading by the selectors of the profile's article templates.
- ``text.py``: reading by the site's text conventions alone (meta line, ``>>`` breadcrumb,
  text density), for markup no template describes.
- ``article.py``: the orchestrator, ``extract_article_page``: the template's reading when it
  is whole, else the text reading completed by what the template found; ``extract_page``
  is the same that a bug cannot stop.
- ``section.py``: a channel, topic or column page's section.
- ``assembly.py``: an article from its pages (``ArticleAssembly``, ``article_item``), the one
  assembly of the crawl and of re-extraction.

The site's markup itself (selectors, URL patterns, names) is the site profile's
(``crawler/profile.py``); what a page links to is ``crawler/discovery/outlinks.py``'s.
"""
