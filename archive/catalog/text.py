"""What a query and an article's text are made of, for Ctrl-F substring matching.

One fold for everything: letters compare without case (Latin, fullwidth Latin, Greek,
Cyrillic: what SQLite's FTS5 trigram tokenizer folds), every other character exactly.
Chinese has no case and no word boundaries a reader would agree on, so matching is on
characters, never on segmented words: a query matches wherever its characters stand side
by side, as in a browser's Ctrl-F.

Queries of three characters and more go to the FTS5 trigram index; shorter terms have no
trigram, so the text's one- and two-character substrings ("grams") are indexed too, each
as a plain ASCII token, in a second FTS5 table (see docs/search.md for why and the cost).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass

TRIGRAM = 3  # the trigram index answers terms this long and longer
# Control characters never occur in a query's meaning; a newline joins the columns.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def fold(text: str) -> str:
    """Lower-case letters, one character for one, so positions in the folded text are the
    original's (a snippet highlights the original characters)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def terms(query: str) -> list[str]:
    """A query's terms: separated by white space (ASCII or the ideographic space); all of
    them must occur. Duplicates are dropped, a term inside another is kept (harmless)."""
    seen: dict[str, None] = {}
    for term in _CONTROL_RE.sub(" ", query).split():
        seen.setdefault(term, None)
    return list(seen)


# The gram table's ``ascii`` tokenizer keeps every non-ASCII character and ASCII letters and
# digits in a token, and splits on the rest. So each other ASCII character (punctuation,
# space, controls) stands for itself as a character of Supplementary Private Use Area-A:
# one character for one, and the grams of any text are whole tokens. (Text holding those
# private-use characters themselves could meet a false gram hit; news text holds none.)
_ESCAPE_BASE = 0xF0000
_ESCAPES = {c: _ESCAPE_BASE + c for c in range(0x80) if not chr(c).isalnum()}


def gram_text(text: str) -> str:
    """Folded text in the gram table's alphabet."""
    return fold(text).translate(_ESCAPES)


def grams(fields: Iterable[str | None]) -> str:
    """The distinct one- and two-character substrings of the folded fields, as tokens.

    Only whether a gram occurs is kept (the table has ``detail=none``): ranking uses the
    trigram index's bm25 or titles and dates, never gram counts. Grams never span two
    fields, as a match never does.
    """
    found: set[str] = set()
    for value in fields:
        if value:
            text = gram_text(value)
            found.update(text)
            found.update(map(operator.add, text, text[1:]))
    return " ".join(found)


_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")


def han_bigrams(text: str) -> list[str]:
    """The distinct two-character runs of Chinese characters in text, sorted.

    For indexes that split text only at spaces and punctuation (ReplayWeb.page's FlexSearch):
    given these as words, they find a two-character word anywhere in a sentence.
    """
    found: set[str] = set()
    for run in _HAN_RE.findall(text):
        found.update(map(operator.add, run, run[1:]))
    return sorted(found)


def fts_phrase(term: str) -> str:
    """An FTS5 string literal: the term as one phrase (trigram: a substring)."""
    return '"' + term.replace('"', '""') + '"'


@dataclass(frozen=True)
class Plan:
    """How a query is answered: trigram MATCH for long terms, gram MATCH for short ones."""

    long: list[str]
    short: list[str]

    @property
    def empty(self) -> bool:
        return not self.long and not self.short

    def trigram_match(self) -> str | None:
        return " AND ".join(fts_phrase(t) for t in self.long) or None

    def gram_match(self) -> str | None:
        return " AND ".join(fts_phrase(gram_text(t)) for t in self.short) or None

    def gram_prefilter(self) -> str | None:
        """A gram MATCH every hit passes, long terms included (by their two-character
        substrings): for a search that must go through the gram table (Datasette's
        ``fts_table``), the trigram match then making it exact."""
        found = dict.fromkeys(gram_text(t) for t in self.short)
        for term in self.long:
            text = gram_text(term)
            found.update(dict.fromkeys(map(operator.add, text, text[1:])))
        return " AND ".join(fts_phrase(g) for g in found) or None


def plan(query: str) -> Plan:
    found = terms(query)
    return Plan([t for t in found if len(t) >= TRIGRAM], [t for t in found if len(t) < TRIGRAM])


def snippet(text: str, query_terms: list[str], width: int = 60,
            mark: tuple[str, str] = ("«", "»")) -> str:
    """A window of text around the first hit, every hit of every term marked.

    Computed in Python from the stored text (not FTS5's snippet()): the gram table holds
    no text, and one function serves both paths the same way.
    """
    if not text:
        return ""
    flat = text.replace("\n", " ")
    low = fold(flat)
    spans: list[tuple[int, int]] = []
    for term in query_terms:
        t = fold(term)
        start = low.find(t)
        while start >= 0 and t:
            spans.append((start, start + len(t)))
            start = low.find(t, start + len(t))
    if not spans:
        return flat[:width] + ("…" if len(flat) > width else "")
    spans.sort()
    first = spans[0][0]
    lo = max(0, first - width // 3)
    hi = min(len(flat), lo + width)
    out, pos = [], lo
    for s, e in _merged(spans):
        if e <= lo or s >= hi:
            continue
        s, e = max(s, lo), min(e, hi)
        out += [flat[pos:s], mark[0], flat[s:e], mark[1]]
        pos = e
    out.append(flat[pos:hi])
    return ("…" if lo > 0 else "") + "".join(out) + ("…" if hi < len(flat) else "")


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out
