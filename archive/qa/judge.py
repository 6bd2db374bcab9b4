"""What the browser saw, judged: the one policy of ``python -m archive qa``, testable without
a browser (``archive.qa.driver`` only observes)."""

from __future__ import annotations

import re
from typing import Any

from archive.qa.pages import PageJob

_REPLAYED = re.compile(r"^/[^/]+/\d{0,14}(?:[a-z]{2}_)?/(.+)$")
_SPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Whitespace-free, so layout (line breaks, full-width indentation, nbsp) never matters."""
    return _SPACE.sub("", text)


def original_url(url: str, wayback: str) -> str | None:
    """The archived URL inside a replay URL, or None for pywb's own files (/static/...)."""
    if not url.startswith(wayback):
        return None
    match = _REPLAYED.match(url[len(wayback):])
    return match.group(1) if match else None


def _found(needle: str | None, haystack: str) -> bool | None:
    if not needle:
        return None
    return normalize_text(needle) in haystack


def judge(job: PageJob, seen: dict[str, Any], wayback: str) -> dict[str, Any]:
    """Turn what the browser saw into a row; `whole` is the one policy of the command.

    A page is whole when its document answered < 400 and loaded without error, no resource
    failed or answered >= 400 (pywb's "not found in archive" is a 404), nothing left the
    replay, and the item's title and first paragraph are in the rendered page.
    """
    loaded = 0
    failed: dict[str, dict[str, Any]] = {}
    for response in seen.get("responses", []):
        if response["status"] >= 400:
            url = response["url"]
            failed.setdefault(url, {"url": original_url(url, wayback) or url, "replay_url": url,
                                    "status": response["status"]})
        else:
            loaded += 1
    for failure in seen.get("failures", []):
        url = failure["url"]
        failed.setdefault(url, {"url": original_url(url, wayback) or url, "replay_url": url,
                                "error": failure["error"]})
    leaks = list(seen.get("leaks", []))
    shown = normalize_text(f"{seen.get('title') or ''}\n{seen.get('text') or ''}")
    title_found = _found(job.title, shown)
    paragraph_found = _found(job.paragraph, shown)
    status = seen.get("status")
    problems: list[str] = []
    if seen.get("error"):
        problems.append(f"error: {seen['error']}")
    elif status is None or status >= 400:
        problems.append(f"status {status}")
    if failed:
        problems.append(f"{len(failed)} failed")
    if leaks:
        problems.append(f"{len(leaks)} live-web")
    if title_found is False:
        problems.append("title not shown")
    if paragraph_found is False:
        problems.append("first paragraph not shown")
    return {
        "url": job.url, "kind": job.kind, "timestamp": job.timestamp,
        "replay_url": seen.get("replay_url"), "status": status, "whole": not problems,
        "problems": problems, "resources": loaded, "failed": list(failed.values()),
        "leaks": leaks, "title_found": title_found, "paragraph_found": paragraph_found,
        "settled": seen.get("settled", True), "screenshot": seen.get("screenshot"),
        "error": seen.get("error"),
    }
