"""The shape of the code, checked from its source with ``ast`` (nothing is imported):

- ``pipelines/`` builds on ``crawler/``, never back;
- no import cycle between the modules of ``crawler/``, ``spiders/``, ``pipelines/`` and
  ``archive/``, counting imports inside function bodies (a cycle hidden there is still one);
- no ``from x import _name`` of another project module, anywhere (tests and scripts too);
- no module over 400 lines outside ``tests/`` and ``scripts/``; no two modules of one name in
  ``crawler/``; the spider is its callbacks.
"""

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


PACKAGES = ("crawler", "spiders", "pipelines", "archive")
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {module_name(path): path
            for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def resolve(node: ast.ImportFrom, module: str, path: Path) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[:len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:`` (function bodies included)."""
    nodes: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        nodes.append(node)
        for child in ast.iter_child_nodes(node):
            if (isinstance(child, ast.If) and isinstance(child.test, ast.Name)
                    and child.test.id == "TYPE_CHECKING"):
                pending.extend(child.orelse)
                continue
            pending.append(child)
    return nodes


def import_graph() -> dict[str, set[str]]:
    """Every import of a project module by another, at the top or inside a function alike.

    Imports under ``if TYPE_CHECKING:`` are left out: they never run (every module has
    ``from __future__ import annotations``), so they order nothing at import time, and what
    they name is an object handed in by the caller (a checker's ``Verifier``, a run's
    ``InflightLog``), not a module the code reaches for.
    """
    modules = project_modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets: set[str] = set()
        for node in runtime_nodes(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = resolve(node, module, path)
                # ``from package import module`` imports the module; else the package.
                names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                         for alias in node.names]
            else:
                continue
            for name in names:
                # ``import a.b.c`` runs a/__init__, a/b/__init__: the innermost module counts.
                while name and name not in modules:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    targets.add(name)
        graph[module] = targets
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_a_function_level_import_counts_and_a_type_checking_one_does_not() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\n"
                     "def f():\n    import b\n")
    imported = {alias.name for node in runtime_nodes(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    assert imported == {"b"}


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_modules() -> None:
    """Not at the top of a module, and not hidden in a function body either."""
    assert find_cycles(import_graph()) == []


def private_imports() -> set[str]:
    """``from x import _name`` where x is a project module (Scrapy's or Twisted's own
    private names are theirs to answer for)."""
    offenders = set()
    modules = project_modules()
    for package in (*PACKAGES, "tests", "scripts"):
        for path in sorted((ROOT / package).rglob("*.py")):
            module = module_name(path)
            for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
                if not isinstance(node, ast.ImportFrom):
                    continue
                base = resolve(node, module, path)
                if not (node.level or base.split(".")[0] in (*PACKAGES, "tests")
                        or base in modules):
                    continue
                offenders |= {f"{path.relative_to(ROOT)}: {base}.{alias.name}"
                              for alias in node.names
                              if alias.name.startswith("_") and not alias.name.startswith("__")}
    return offenders


def test_no_private_name_is_imported_across_modules() -> None:
    assert private_imports() == set()


def test_no_module_over_400_lines() -> None:
    """Every module outside ``tests/`` and ``scripts/``: the packages and the top level."""
    paths = [*sorted(ROOT.glob("*.py")),
             *(path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py")))]
    long = {}
    for path in paths:
        lines = len(path.read_text("utf-8").splitlines())
        if lines > MAX_LINES:
            long[str(path.relative_to(ROOT))] = lines
    assert long == {}


def test_no_two_modules_of_one_name_in_crawler() -> None:
    seen: dict[str, list[str]] = {}
    for path in sorted((ROOT / "crawler").rglob("*.py")):
        if path.name != "__init__.py":
            seen.setdefault(path.stem, []).append(str(path.relative_to(ROOT)))
    twice = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert twice == {}


def test_the_spider_is_its_callbacks() -> None:
    """Link admission, the list walk, revalidation and the carry-over live in
    ``crawler/discovery/``: the spider stays a short file of callbacks."""
    lines = (ROOT / "spiders" / "sznews.py").read_text("utf-8").count("\n")
    assert lines < 250, f"spiders/sznews.py has {lines} lines"
