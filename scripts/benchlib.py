"""What the benchmark scripts share: their results live between markers in docs/benchmarks.md.

Each script owns one marked block of that file; a new run replaces its own block and leaves
every other script's in place (or appends the block the first time).
"""

from __future__ import annotations

from pathlib import Path


def write_marked(path: Path, block: str, begin: str, end: str, heading: str = "") -> None:
    """Replace the text from ``begin`` to ``end`` in ``path`` by ``block`` (which carries
    both markers), or append ``heading`` and ``block`` when the file has no such block."""
    doc = path.read_text("utf-8") if path.exists() else ""
    if begin in doc and end in doc:
        before, _, rest = doc.partition(begin)
        _, _, after = rest.partition(end)
        doc = before + block + after
    else:
        doc = doc.rstrip("\n") + "\n\n" + heading + block + "\n"
    path.write_text(doc, "utf-8")
