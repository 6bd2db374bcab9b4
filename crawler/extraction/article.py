"""The orchestrator: one article page read by a template, by the text conventions, or both.

A page the profile's template reads whole (title, date, text) is the template's reading. Any
other page is read by the site's text conventions, and what a matching template did find
overrides the text reading field by field: a page of known markup with one selector gone
stale keeps the template's exact fields and takes only the missing ones from the text.
``ArticlePage.extracted_by`` says which reading the page's fields came from.
"""

from __future__ import annotations

from crawler.extraction.conventions import (
    article_page_urls,
    breadcrumb_links,
    related_articles,
    title_from_head,
)
from crawler.extraction.page import ArticlePage, ParsedPage, Reading
from crawler.extraction.template import match_template, read_by_template
from crawler.extraction.text import PROBLEM_FIELDS, read_by_text
from crawler.profile import ArticleTemplate, SiteProfile


def extract_article_page(page: ParsedPage, profile: SiteProfile) -> ArticlePage:
    """What an article page holds, read the best way its markup allows."""
    template = match_template(page, profile)
    by_template = read_by_template(page, template) if template is not None else None
    if template is None or by_template is None or not by_template.whole:
        # Markup no template describes, or describes wrongly: read the page by its text.
        return _completed_by_text(page, profile, template, by_template)
    by_template.breadcrumb = (by_template.breadcrumb
                              or breadcrumb_links(page, profile.section_breadcrumb)[0])
    return article_page(page, profile, by_template, related=related_articles(page, profile),
                        problems=page.problems + by_template.problems,
                        template=template.name, extracted_by=template.name)


def extract_by_text(page: ParsedPage, profile: SiteProfile) -> ArticlePage:
    """An article page read by the site's text conventions alone (whatever its markup)."""
    reading = read_by_text(page, profile)
    return article_page(page, profile, reading, related=reading.related,
                        problems=page.problems + reading.problems, extracted_by="text")


def extract_page(
    page_doc: ParsedPage, profile: SiteProfile
) -> tuple[ArticlePage, Exception | None]:
    """An article page's extraction that cannot stop the work: an error in it costs the
    page's fields (and is named in its problems), never the page. The error, if any, is
    returned for the caller to log and count."""
    try:
        return extract_article_page(page_doc, profile), None
    except Exception as exc:  # noqa: BLE001 - any extraction bug; the page is archived
        failed = [f"extraction failed: {exc!r}"]
        return article_page(page_doc, profile, Reading(), related=[], problems=failed), exc


def article_page(
    page: ParsedPage,
    profile: SiteProfile,
    reading: Reading,
    *,
    related: list[dict[str, str]],
    problems: list[str],
    template: str | None = None,
    extracted_by: str | None = None,
) -> ArticlePage:
    """The article page ``page`` is, from what reading it found. Its URL, and the pages of
    its article its links name, are the page's own whatever reading found."""
    return ArticlePage(
        url=page.url, title=reading.title, source=reading.source, author=reading.author,
        editor=reading.editor, published=reading.published, breadcrumb=reading.breadcrumb,
        paragraphs=reading.paragraphs, images=reading.images,
        page_urls=article_page_urls(page, profile), related=related, problems=problems,
        template=template, extracted_by=extracted_by,
    )


def _completed_by_text(
    page: ParsedPage,
    profile: SiteProfile,
    template: ArticleTemplate | None,
    by_template: Reading | None,
) -> ArticlePage:
    """The text reading of a page no template read whole, keeping what a matching template
    did find (``by_template``).

    What neither finds is named in ``problems``; only then is the missing template a
    problem too (a page the text reading makes whole is no problem at all).
    """
    merged = read_by_text(page, profile)
    problems = page.problems + merged.problems
    extracted_by = "text"
    if template is not None and by_template is not None:
        filled = False
        for name in Reading.FIELDS:
            if name == "images":
                continue  # they go with the paragraphs
            value = getattr(by_template, name)
            if value:
                setattr(merged, name, value)
                if name == "paragraphs":
                    merged.images = by_template.images
            elif getattr(merged, name):
                filled = True
        problems = [p for p in problems
                    if not (p in PROBLEM_FIELDS and getattr(merged, PROBLEM_FIELDS[p]))]
        extracted_by = "text" if filled else template.name
    if problems:
        if template is None:
            problems.insert(0, "no known article template")
        else:
            problems.insert(0, f"template {template.name} left essential fields empty")
    if merged.title is None:
        merged.title = title_from_head(page, profile)
    if merged.title is None:
        problems.append("no title")
    if merged.published is None:
        problems.append("no publication date")
    related = merged.related or related_articles(page, profile)
    return article_page(page, profile, merged, related=related,
                        problems=list(dict.fromkeys(page.problems + problems)),
                        template=template.name if template is not None else None,
                        extracted_by=extracted_by)
