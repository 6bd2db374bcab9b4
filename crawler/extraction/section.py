"""Section extraction: what a channel, topic or column page says of its section.

A section's kind follows from its breadcrumb (two names or fewer: a channel) and whether it
lists articles (a column) or not (a topic); its list pages from the pager's ``共N页``.
"""

from __future__ import annotations

import re

from crawler.extraction.conventions import breadcrumb_links, first_text, title_from_head
from crawler.extraction.page import ParsedPage, SectionPage
from crawler.profile import PageKind, SiteProfile

_PAGE_COUNT_RE = re.compile(r"共\s*(\d+)\s*页")


def extract_section_page(page: ParsedPage, profile: SiteProfile) -> SectionPage:
    problems = list(page.problems)
    names, urls = breadcrumb_links(page, profile.section_breadcrumb)
    if not names:
        problems.append("no breadcrumb")
    is_list = bool(page.xpath(profile.list_items))
    if len(names) <= 2:
        kind = "channel"
    elif is_list:
        kind = "column"
    else:
        kind = "topic"
    parent = None
    if len(urls) >= 2 and urls[-2]:
        parent = urls[-2]
        if profile.kind_of(parent) is PageKind.SECTION:
            parent = profile.section_url(parent)
    list_pages = 1
    if is_list:
        pager = first_text(page, profile.list_pager_total)
        m = _PAGE_COUNT_RE.search(pager or "")
        if m:
            list_pages = int(m.group(1))
        elif pager is None:
            problems.append("column without pager")
    return SectionPage(
        url=profile.section_url(page.url),
        name=names[-1] if names else title_from_head(page, profile),
        breadcrumb=names,
        kind=kind,
        parent=parent,
        list_pages=list_pages,
        problems=problems,
    )
