"""What this run's items are worth: schema validity, field coverage, how they were extracted.

Measured on the run's item files (what was really exported, also across a resumed run's
processes), validated with Spidermon's JSON Schema validator against the schemas shipped in
``schemas/``. The numbers go into the report (``quality``) so later runs can compare.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
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


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    """One item at a time: a run's item file may hold tens of thousands of articles."""
    try:
        fh = path.open(encoding="utf-8")
    except FileNotFoundError:
        return
    with fh:
        for line in fh:
            line = line.rstrip("\n")
            try:
                yield json.loads(line)
            except ValueError:
                yield {"_unreadable": line[:80]}


def measure(items_dir: Path, stats: dict[str, Any] | None = None) -> dict[str, Any]:
    """The run's quality numbers, with example URLs for what is wrong.

    How pages were extracted is counted over every article page parsed (the spider's
    ``sznews/extracted_by/*`` stats): an article whose content did not change exports no
    item, but its page was read all the same, by a template or by the text conventions.
    """
    result: dict[str, Any] = {"invalid": {}, "invalid_examples": []}
    for kind in ITEM_FILES:
        articles = ArticleTally() if kind == "articles" else None
        count = bad = 0
        for item in _lines(items_dir / ITEM_FILES[kind]):
            count += 1
            ok, errors = validator(kind).validate(item)
            if not ok:
                bad += 1
                if len(result["invalid_examples"]) < EXAMPLES:
                    fields = ", ".join(f"{f}: {m[0]}" for f, m in sorted(errors.items()))
                    result["invalid_examples"].append(f"{item.get('url', '?')} ({fields})")
            if articles is not None:
                articles.add(item)
        result[kind] = count
        result["invalid"][kind] = bad
        if articles is not None:
            result.update(articles.summary())
    by = {k.removeprefix(_BY): v for k, v in sorted((stats or {}).items()) if k.startswith(_BY)}
    if by:
        parsed = sum(by.values())
        result.update(extracted_by=by, pages_parsed=parsed,
                      text_share=round(by.get("text", 0) / parsed, 4) if parsed else None)
    return result


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {})


@dataclass
class ArticleTally:
    """Coverage and extraction counts of the run's articles, kept as counts and a few
    example URLs, never the items themselves."""

    n: int = 0
    by: Counter[str] = field(default_factory=Counter)
    filled: Counter[str] = field(default_factory=Counter)
    missing: dict[str, list[str]] = field(
        default_factory=lambda: {f: [] for f in COVERED_FIELDS})
    problems: int = 0
    problems_examples: list[str] = field(default_factory=list)
    text: int = 0
    text_examples: list[str] = field(default_factory=list)

    def add(self, item: dict[str, Any]) -> None:
        url = item.get("url", "?")
        self.n += 1
        self.by[item.get("extracted_by") or "nothing"] += 1
        for f in COVERED_FIELDS:
            if _filled(item.get(f)):
                self.filled[f] += 1
            elif len(self.missing[f]) < EXAMPLES:
                self.missing[f].append(url)
        if item.get("problems"):
            self.problems += 1
            if len(self.problems_examples) < EXAMPLES:
                self.problems_examples.append(url)
        if item.get("extracted_by") == "text":
            self.text += 1
            if len(self.text_examples) < EXAMPLES:
                self.text_examples.append(url)

    def summary(self) -> dict[str, Any]:
        n = self.n
        return {
            "coverage": {f: round(self.filled[f] / n, 4) if n else None
                         for f in COVERED_FIELDS},
            "missing_examples": self.missing,
            "extracted_by": dict(sorted(self.by.items())),
            "pages_parsed": n,
            "text_share": round(self.text / n, 4) if n else None,
            "text_examples": self.text_examples,
            "problems_share": round(self.problems / n, 4) if n else None,
            "problems_examples": self.problems_examples,
        }
