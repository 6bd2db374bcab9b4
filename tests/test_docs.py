"""The docs say what the code does: the settings tables agree with ``crawler/settings.py``,
the README stays short, and no relative link points nowhere.

The rule of docs/settings.md's tables (every table whose first header cell is "Setting"):
one setting per row, its name in backticks in the first cell, and its Default a Python literal
or a small arithmetic expression (``1024**3``, ``64 * 1024``) in backticks, evaluated here by
a safe evaluator and compared, type included (``5`` is not ``5.0``: a component reads a setting
with the getter of its default's type), with the value of ``crawler/settings.py``, or, for a
setting that must stay out of it, with the default the code reads it with.
"""

from __future__ import annotations

import ast
import operator
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import scrapy.settings.default_settings as scrapy_defaults

import crawler.settings as project

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SETTINGS_DOC = DOCS / "settings.md"
CODE_DIRS = ("crawler", "spiders", "pipelines")
README_MAX_LINES = 250

# What a getter returns for an unset setting that the code reads without a default.
GETTER_DEFAULTS: dict[str, Any] = {
    "get": None, "getbool": False, "getint": 0, "getfloat": 0.0,
}
_OPERATORS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Pow: operator.pow,
}


def literal(expr: str) -> Any:
    """A literal, or numbers combined by + - * / **: nothing else is evaluated."""

    def value(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            left, right = value(node.left), value(node.right)
            if all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right)):
                return _OPERATORS[type(node.op)](left, right)
        raise ValueError(f"not a literal or arithmetic on numbers: {expr!r}")

    return value(ast.parse(expr.strip(), mode="eval").body)


def documented_settings(text: str) -> dict[str, str]:
    """Setting name -> its Default cell (backticks removed), from every "Setting" table."""
    found: dict[str, str] = {}
    in_table = False
    for line in text.splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "Setting":
            assert cells[:3] == ["Setting", "Default", "Meaning"], line
            in_table = True
            continue
        if not in_table or set(cells[0]) <= {"-", ":"}:
            continue
        name = re.fullmatch(r"`([A-Z][A-Z0-9_]*)`", cells[0])
        default = re.fullmatch(r"`(.*)`", cells[1])
        assert name and default, f"one setting per row, both in backticks: {line}"
        assert name[1] not in found, f"{name[1]} is documented twice"
        found[name[1]] = default[1]
    return found


Read = tuple[str, Any, bool]  # where, default, written in the call (not the getter's own)


def code_reads() -> dict[str, list[Read]]:
    """Every ``settings.get…("NAME"[, default])`` and ``setting("NAME", default)`` in the code:
    name -> [(where, default, explicit)], the default evaluated (``...`` when not a literal)."""
    reads: dict[str, list[Read]] = defaultdict(list)
    for directory in CODE_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                first = node.args[0]
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)
                        and re.fullmatch(r"[A-Z][A-Z0-9_]+", first.value)):
                    continue
                func = node.func
                getter = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if getter not in (*GETTER_DEFAULTS, "setting"):
                    continue
                if len(node.args) > 1:
                    try:
                        default = literal(ast.unparse(node.args[1]))
                    except ValueError:
                        default = ...
                else:
                    default = GETTER_DEFAULTS.get(getter, ...)
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                reads[first.value].append((where, default, len(node.args) > 1))
    return reads


def ours(name: str) -> bool:
    return not hasattr(scrapy_defaults, name)


DOCUMENTED = documented_settings(SETTINGS_DOC.read_text("utf-8"))
PROJECT = {name: getattr(project, name) for name in dir(project) if name.isupper()}
READS = code_reads()


def same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def test_every_setting_of_ours_is_documented() -> None:
    ours_defined = {name for name in PROJECT if ours(name)}
    ours_read = {name for name in READS if ours(name)}
    assert ours_read, "the scan of the code found no setting: the scan is broken"
    missing = sorted((ours_defined | ours_read) - set(DOCUMENTED))
    assert not missing, f"not in docs/settings.md: {missing}"


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_each_documented_default_is_the_codes(name: str) -> None:
    documented = literal(DOCUMENTED[name])
    if name in PROJECT:
        assert same(documented, PROJECT[name]), (
            f"docs/settings.md says {name} = {documented!r}, "
            f"crawler/settings.py says {PROJECT[name]!r}"
        )
        return
    # Not in crawler/settings.py: the code's reads are the default, and must agree.
    reads = READS.get(name)
    assert reads, f"{name} is documented but neither defined in settings.py nor read in code"
    for where, default, _ in reads:
        if default is not ...:
            assert same(documented, default), f"{where} reads {name} with {default!r}"


def test_defaults_written_in_code_agree_with_settings_py() -> None:
    disagree = [
        f"{where}: {name} defaults to {default!r}, settings.py says {PROJECT[name]!r}"
        for name, reads in READS.items() if name in PROJECT and ours(name)
        for where, default, explicit in reads
        if explicit and default is not ... and not same(default, PROJECT[name])
    ]
    assert not disagree, "\n".join(disagree)


def test_the_settings_table_rule_refuses_what_it_cannot_check() -> None:
    assert literal("64 * 1024**2") == 67108864
    assert same(literal("5.0"), 5.0) and not same(literal("5"), 5.0)
    assert not same(literal("True"), 1)
    for bad in ("layout.DEFAULT_ROOT", "__import__('os')", "'a' * 3", "[1] * 2"):
        with pytest.raises(ValueError):
            literal(bad)
    with pytest.raises(AssertionError):
        documented_settings("| Setting | Default | Meaning |\n|---|---|---|\n| `A` / `B` | 1 | x |")


# --------------------------------------------------------------------------- README, links


def test_the_readme_is_short() -> None:
    lines = (ROOT / "README.md").read_text("utf-8").splitlines()
    assert len(lines) < README_MAX_LINES, f"README.md has {len(lines)} lines"


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text("utf-8"))
    return {slug(m[1]) for m in re.finditer(r"^#+\s+(.*)$", text, re.M)}


def relative_links(path: Path) -> list[str]:
    text = FENCE.sub("", path.read_text("utf-8"))
    return [t for t in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


MARKDOWN = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_at_something(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no such heading in {dest.name}")
    assert not broken, f"{page.name}: {broken}"


def test_the_link_check_sees_links_and_headings() -> None:
    readme = ROOT / "README.md"
    assert any(t.startswith("docs/") for t in relative_links(readme))
    assert slug("What a run leaves under `ARCHIVE_DIR` (default `data/`)") == (
        "what-a-run-leaves-under-archive_dir-default-data"
    )
