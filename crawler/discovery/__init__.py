"""Discovery: what the crawl asks for, and in what order, given what it has seen.

The spider (``spiders/sznews.py``) is only its callbacks; every decision on what to request
next is made here. Read in this order:

- ``outlinks.py``: what a page links to (every link, by the block it sits in, and the
  requisites a browser loads to render it). Pure functions over a parsed page.
- ``admission.py``: the admission chain a link passes before it becomes a request
  (``LinkAdmission``: scheme, host, canonical form, calendar traps, the link filter of
  ``crawler/dedup/``, the list walk's share, the recheck schedule), each decision counted.
- ``requests.py``: the requests themselves, one way per kind of page, with the spider's
  callbacks (``SiteRequests``); also a request written down by an earlier run, made again.
- ``listwalk.py``: which list pages of a section are asked for (all on a full sweep, else
  as far as they show articles not archived yet).
- ``revalidation.py``: an article whose page 1 is not modified has its later pages asked
  for conditionally; one that changed has the article fetched again.
- ``follow.py``: ``Discovery``, what the spider calls: a page's links, a section's list
  pages, a stylesheet's requisites, the URLs due at the start.
- ``carryover.py``: failed fetches counted and handed to the next run, and what earlier runs
  handed on (failed, left in maintenance, unfinished by a killed run) asked for first.
"""
