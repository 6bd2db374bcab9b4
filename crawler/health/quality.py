"""What this run's items are worth: schema validity, field coverage, how they were extracted.

Measured on the run's item files (what was really exported, also across a resumed run's
processes), validated with Spidermon's JSON Schema validator against the schemas shipped in
``schemas/``. The numbers go into the report (``quality``) so later runs can compare.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from spidermon.contrib.validation import JSONSchemaValidator

from archive.layout import ITEM_FILES

# Read as package resources: a Scrapyd egg is a zip, where __file__ paths do not open.
SCHEMAS = resources.files("crawler.health").joinpath("schemas")
COVERED_FIELDS = ("title", "published", "body", "breadcrumb", "source", "author", "editor")
EXAMPLES = 5  # URLs an alert names
_BY = "sznews/extracted_by/"


@lru_cache(maxsize=4)
def validator(kind: str) -> JSONSchemaValidator:
    schema = json.loads((SCHEMAS / f"{kind.removesuffix('s')}.json").read_text("utf-8"))
    return JSONSchemaValidator(schema)


def _lines(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append({"_unreadable": line[:80]})
    return out


def measure(items_dir: Path, stats: dict[str, Any] | None = None) -> dict[str, Any]:
    """The run's quality numbers, with example URLs for what is wrong.

    How pages were extracted is counted over every article page parsed (the spider's
    ``sznews/extracted_by/*`` stats): an article whose content did not change exports no
    item, but its page was read all the same, by a template or by the text conventions.
    """
    result: dict[str, Any] = {"invalid": {}, "invalid_examples": []}
    for kind in ITEM_FILES:
        items = _lines(items_dir / ITEM_FILES[kind])
        result[kind] = len(items)
        bad = 0
        for item in items:
            ok, errors = validator(kind).validate(item)
            if not ok:
                bad += 1
                if len(result["invalid_examples"]) < EXAMPLES:
                    fields = ", ".join(f"{f}: {m[0]}" for f, m in sorted(errors.items()))
                    result["invalid_examples"].append(f"{item.get('url', '?')} ({fields})")
        result["invalid"][kind] = bad
        if kind == "articles":
            result.update(_articles(items))
    by = {k.removeprefix(_BY): v for k, v in sorted((stats or {}).items()) if k.startswith(_BY)}
    if by:
        parsed = sum(by.values())
        result.update(extracted_by=by, pages_parsed=parsed,
                      text_share=round(by.get("text", 0) / parsed, 4) if parsed else None)
    return result


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {})


def _articles(items: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(items)
    by: dict[str, int] = {}
    for item in items:
        name = item.get("extracted_by") or "nothing"
        by[name] = by.get(name, 0) + 1
    with_problems = [i.get("url", "?") for i in items if i.get("problems")]
    by_text = [i.get("url", "?") for i in items if i.get("extracted_by") == "text"]
    return {
        "coverage": {f: round(sum(_filled(i.get(f)) for i in items) / n, 4) if n else None
                     for f in COVERED_FIELDS},
        "missing_examples": {f: [i.get("url", "?") for i in items if not _filled(i.get(f))][
            :EXAMPLES] for f in COVERED_FIELDS},
        "extracted_by": dict(sorted(by.items())),
        "pages_parsed": n,
        "text_share": round(len(by_text) / n, 4) if n else None,
        "text_examples": by_text[:EXAMPLES],
        "problems_share": round(len(with_problems) / n, 4) if n else None,
        "problems_examples": with_problems[:EXAMPLES],
    }
