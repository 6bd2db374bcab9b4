"""Template extraction: a page read by the selectors of the profile's article template.

Each ``ArticleTemplate`` of the site profile names one generation of the article markup
(a marker, and where title, meta line, body, breadcrumb and editor sit). Fast and exact
where the markup is one the profile knows; ``text.py`` reads what it is not.
"""

from __future__ import annotations

from crawler.extraction.conventions import (
    breadcrumb_links,
    extract_body,
    first_text,
    parse_meta_line,
    parse_published,
    strip_label,
)
from crawler.extraction.page import ParsedPage, Reading
from crawler.profile import ArticleTemplate, SiteProfile


def match_template(page: ParsedPage, profile: SiteProfile) -> ArticleTemplate | None:
    """The first of the profile's templates whose marker is on the page."""
    for template in profile.templates:
        if page.xpath(template.marker):
            return template
    return None


def read_by_template(page: ParsedPage, template: ArticleTemplate) -> Reading:
    """What ``template``'s selectors find on the page; a missing body is a problem."""
    reading = Reading(title=first_text(page, template.title))
    if template.meta_line:
        line = first_text(page, template.meta_line) or ""
        reading.source, reading.author, reading.published = parse_meta_line(line)
    else:
        reading.published = parse_published(first_text(page, template.published or ""))
        reading.source = strip_label(first_text(page, template.source or ""), "来源")
        reading.author = strip_label(first_text(page, template.author or ""), "作者")
    reading.editor = strip_label(first_text(page, template.editor), "(?:责任)?编辑")
    reading.breadcrumb, _ = breadcrumb_links(page, template.breadcrumb)
    bodies = page.xpath(template.body)
    if bodies:
        reading.paragraphs, reading.images = extract_body(page, bodies[0])
    else:
        reading.problems.append("no article body")
    return reading
