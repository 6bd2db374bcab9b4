"""The packages' dependency direction: ``pipelines/`` builds on ``crawler/``, never back."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module)
    return modules


def test_nothing_under_crawler_imports_pipelines() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path)
                                            if m == "pipelines" or m.startswith("pipelines."))
        for path in sorted((ROOT / "crawler").rglob("*.py"))
    }
    assert {path: mods for path, mods in offenders.items() if mods} == {}


def test_the_spider_is_its_callbacks() -> None:
    """Link admission, the list walk, revalidation and the carry-over live in
    ``crawler/discovery/``: the spider stays a short file of callbacks."""
    lines = (ROOT / "spiders" / "sznews.py").read_text("utf-8").count("\n")
    assert lines < 250, f"spiders/sznews.py has {lines} lines"
