"""Extraction accuracy, per field: this project, GNE and trafilatura, on the replica's markups.

Renders every page of every article of a replica in process (tests.replica, no network), runs
each extractor on the bytes a crawl would get, and counts exact matches with the replica's
expected items, per field and per markup generation (``table`` 2008-2015, ``div`` 2016-2018,
``plain`` 2019 on: the one written blind, from the real pages' text). Results go to
``docs/benchmarks-extract.json`` and between the markers of a section of
``docs/benchmarks.md``.

    python scripts/bench_extract.py [--articles 300] [--seed 1]

GNE (GeneralNewsExtractor) and trafilatura come from the ``bench`` extra
(``pip install -e '.[bench]'``). Both read one page at a time and know nothing of an
article's later pages: for the whole-article rows they get every page in order from the
truth (a head start this project does not get; it finds the pages itself), and their
texts are joined. Texts are compared after the same normalisation for every tool: each
line stripped of white space and full-width indentation, empty lines dropped. Dates are
compared as ISO 8601 after the same parser (``crawler.extraction.conventions.parse_published``).
trafilatura runs with ``include_tables=False`` (its best setting here, see ``trafilatura``).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from w3lib.encoding import html_to_unicode  # noqa: E402

from crawler.extraction.article import extract_article_page, extract_by_text  # noqa: E402
from crawler.extraction.assembly import assemble_article  # noqa: E402
from crawler.extraction.conventions import parse_published  # noqa: E402
from crawler.extraction.page import parse_html  # noqa: E402
from crawler.profile import SZNEWS  # noqa: E402
from scripts.benchlib import write_marked  # noqa: E402
from tests.replica.expected import expected_articles  # noqa: E402
from tests.replica.model import HOST_ROOT, Site  # noqa: E402
from tests.replica.server import App  # noqa: E402

FIELDS = ["title", "published", "published_day", "source", "author", "editor", "breadcrumb",
          "body_page1", "body", "images", "captions", "pages"]
GENERATIONS = ["table", "div", "plain"]
TOOLS = ["project", "project_text_only", "gne", "trafilatura"]
START, END = "<!-- bench-extract:start -->", "<!-- bench-extract:end -->"
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)[^)]*\)")


def norm_text(text: str | None) -> str | None:
    if text is None:
        return None
    lines = (line.strip(" \t\r\u3000\u00a0") for line in text.split("\n"))
    joined = "\n".join(line for line in lines if line)
    return joined or None


def day(iso: str | None) -> str | None:
    return iso[:10] if iso else None


# ---- the tools: pages (bytes, url) in, a dict of fields out (missing key = n/a) ----------
Pages = list[tuple[bytes, str]]


def project(pages: Pages, extract: Any = extract_article_page) -> dict[str, Any]:
    first = [extract(parse_html(body, url), SZNEWS) for body, url in pages[:1]]
    # Later pages: the ones this project found itself on page 1 (not the truth's list).
    bodies = dict((url, body) for body, url in pages)
    later = [extract(parse_html(bodies[url], url), SZNEWS)
             for url in first[0].page_urls[1:] if url in bodies]
    return _ours(first + later)


def project_text_only(pages: Pages) -> dict[str, Any]:
    """The text-convention fallback alone, on every generation: how far it carries."""
    return project(pages, extract_by_text)


def _ours(extracted: list) -> dict[str, Any]:
    item = assemble_article(extracted)
    return {
        "title": item["title"], "published": item["published"], "source": item["source"],
        "author": item["author"], "editor": item["editor"], "breadcrumb": item["breadcrumb"],
        "body_page1": norm_text("\n".join(extracted[0].paragraphs)),
        "body": norm_text(item["body"]), "images": [i["url"] for i in item["images"]],
        "captions": [i["caption"] for i in item["images"]], "pages": item["pages"],
    }


def _decode(body: bytes) -> str:
    return html_to_unicode("text/html", body, default_encoding="gb18030")[1]


def gne(pages: Pages) -> dict[str, Any]:
    from gne import GeneralNewsExtractor

    extractor = GeneralNewsExtractor()
    results = []
    for body, _url in pages:
        try:
            results.append(extractor.extract(_decode(body), host=HOST_ROOT))
        except Exception:  # noqa: BLE001 - GNE raises when it finds no body: a miss
            results.append({})
    first = results[0]
    images = [u for r in results for u in r.get("images") or []]
    return {
        "title": first.get("title") or None,
        "published": parse_published(first.get("publish_time")),
        "author": first.get("author") or None,
        "body_page1": norm_text(first.get("content")),
        "body": norm_text("\n".join(r.get("content") or "" for r in results)),
        "images": images,
    }


def trafilatura(pages: Pages) -> dict[str, Any]:
    import trafilatura as tf

    results = []
    for body, url in pages:
        # Layout tables hold every page of this site: with tables included (the default)
        # trafilatura returns the whole layout as one table, 0 % exact; without, its best.
        doc = tf.bare_extraction(_decode(body), url=url, with_metadata=True, include_images=True,
                                 include_comments=False, include_tables=False)
        results.append(doc.as_dict() if doc else {})
    first = results[0]
    texts = [r.get("text") or "" for r in results]
    images = [u for t in texts for u in _MD_IMAGE.findall(t)]
    texts = [_MD_IMAGE.sub("", t) for t in texts]
    return {
        "title": first.get("title") or None,
        "published": parse_published(first.get("date")),
        "author": first.get("author") or None,
        "body_page1": norm_text(texts[0]),
        "body": norm_text("\n".join(texts)),
        "images": images,
    }


TOOL_FUNCS: dict[str, Callable[[Pages], dict[str, Any]]] = {
    "project": project, "project_text_only": project_text_only, "gne": gne,
    "trafilatura": trafilatura,
}


# ---- the run --------------------------------------------------------------------------------
def truth(want: dict, page1_paragraphs: list[str]) -> dict[str, Any]:
    return {
        "title": want["title"], "published": want["published"],
        "published_day": day(want["published"]), "source": want["source"],
        "author": want["author"], "editor": want["editor"], "breadcrumb": want["breadcrumb"],
        "body_page1": norm_text("\n".join(page1_paragraphs)), "body": norm_text(want["body"]),
        "images": [i["url"] for i in want["images"]],
        "captions": [i["caption"] for i in want["images"]], "pages": want["pages"],
    }


def run(articles: int, seed: int) -> dict[str, Any]:
    site = Site(seed, articles)
    app = App(site)
    hits: dict[str, dict[str, Counter[str]]] = {t: defaultdict(Counter) for t in TOOLS}
    totals: Counter[str] = Counter()
    seconds: Counter[str] = Counter()
    for i, want in enumerate(expected_articles(site)):
        article = site.article(i)
        gen = article.generation
        totals[gen] += 1
        pages = [(app.route(urlsplit(u).path, "", HOST_ROOT).body, u) for u in want["pages"]]
        page1 = [b.text for b in article.pages[0] if b.kind in ("p", "cap")]
        expected = truth(want, page1)
        for tool in TOOLS:
            t0 = time.perf_counter()
            got = TOOL_FUNCS[tool](pages)
            seconds[tool] += time.perf_counter() - t0
            if "published" in got:
                got["published_day"] = day(got["published"])
            for field in FIELDS:
                if field in got and got[field] == expected[field]:
                    hits[tool][field][gen] += 1
                elif field in got:
                    hits[tool][field].setdefault(gen, 0)
    table: dict[str, dict[str, dict[str, float] | None]] = {}
    supported = {t: {f for f in FIELDS if hits[t].get(f) is not None and f in hits[t]}
                 for t in TOOLS}
    for tool in TOOLS:
        table[tool] = {}
        for field in FIELDS:
            if field not in supported[tool]:
                table[tool][field] = None
                continue
            counts = hits[tool][field]
            row = {g: round(100 * counts[g] / totals[g], 1) for g in GENERATIONS if totals[g]}
            row["all"] = round(100 * sum(counts.values()) / sum(totals.values()), 1)
            table[tool][field] = row
    return {
        "replica": {"seed": seed, "articles": articles, "by_generation": dict(totals),
                    "pages": sum(site.npages[i] for i in range(site.n))},
        "accuracy_percent": table,
        "seconds": {t: round(seconds[t], 2) for t in TOOLS},
        "versions": _versions(),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
    }


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("gne", "trafilatura", "lxml"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


LABELS = {"project": "this project", "project_text_only": "this project, text fallback only",
          "gne": "GNE", "trafilatura": "trafilatura"}
FIELD_LABELS = {"published_day": "published (day only)", "body_page1": "body, page 1",
                "body": "body, whole article", "captions": "image captions"}


def markdown(result: dict[str, Any]) -> str:
    acc = result["accuracy_percent"]
    rep = result["replica"]
    gens = rep["by_generation"]
    lines = [
        f"Replica seed {rep['seed']}, {rep['articles']} articles ({rep['pages']} pages): "
        + ", ".join(f"{gens.get(g, 0)} `{g}`" for g in GENERATIONS)
        + f". Versions: {', '.join(f'{k} {v}' for k, v in result['versions'].items())}.",
        "",
        "Exact matches, percent of articles, all generations (n/a: the tool has no such field):",
        "",
        "| field | " + " | ".join(LABELS[t] for t in TOOLS) + " |",
        "|---|" + "---:|" * len(TOOLS),
    ]
    for field in FIELDS:
        cells = [f"{acc[t][field]['all']:.1f}" if acc[t][field] else "n/a" for t in TOOLS]
        lines.append(f"| {FIELD_LABELS.get(field, field)} | " + " | ".join(cells) + " |")
    lines += ["", "By generation (`table` / `div` / `plain`):", "",
              "| field | " + " | ".join(LABELS[t] for t in TOOLS) + " |",
              "|---|" + "---:|" * len(TOOLS)]
    for field in FIELDS:
        cells = []
        for t in TOOLS:
            row = acc[t][field]
            cells.append(" / ".join(f"{row.get(g, 0):.0f}" for g in GENERATIONS) if row
                         else "n/a")
        lines.append(f"| {FIELD_LABELS.get(field, field)} | " + " | ".join(cells) + " |")
    lines += ["", "Seconds for all articles: " + ", ".join(
        f"{LABELS[t]} {s}" for t, s in result["seconds"].items()) + "."]
    return "\n".join(lines)


def write_docs(result: dict[str, Any], md_path: Path, json_path: Path) -> None:
    json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    write_marked(md_path, f"{START}\n{markdown(result)}\n{END}", START, END,
                 heading="## Extraction accuracy\n\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "benchmarks-extract.json")
    args = parser.parse_args(argv)
    result = run(args.articles, args.seed)
    print(markdown(result))
    write_docs(result, args.docs, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
