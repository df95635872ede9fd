"""The layout's rules (docs/architecture.md), checked on the source so a change that breaks one
fails here rather than in review: imports flow one way between the layers, no module imports
itself back through others, nothing reaches into Dagster's private `_core`, environment
variables are written in one settings module only, and no module grows past ~400 lines.

Every import is counted, also those inside functions: a lazy import still ties the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# Each layer and the layers it may import (besides itself). orchestration/ (the Dagster wiring)
# and bench/ may import every layer; nothing imports them.
ALLOWED = {
    "scoring": set(),
    "demo": {"ingestion"},
    "warehouse": {"scoring"},
    "ingestion": {"warehouse"},
    "expectations": {"ingestion", "scoring", "warehouse"},
    "report": {"warehouse", "scoring"},
}
LAYERS = (*ALLOWED, "orchestration")
MAX_LINES = 400
# The one module that may write the process environment (see docs/architecture.md).
ENVIRONMENT_WRITER = "warehouse/settings.py"


def _modules() -> dict[str, Path]:
    """Module name → file for every Python file of the product layers."""
    found = {}
    for layer in LAYERS:
        for path in sorted((REPO / layer).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """First-party modules ``path`` imports (resolved to a module, not a name inside one)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                names.add(full if full in MODULES else base)
    return {name for name in names if name.split(".")[0] in (*LAYERS, "bench")}


GRAPH = {module: _imports(path) for module, path in MODULES.items()}


def test_the_layers_are_the_top_level_packages():
    for layer in LAYERS:
        assert (REPO / layer / "__init__.py").is_file(), f"{layer}/ is not a package"
    assert len(MODULES) > 40  # the scan found the code, not an empty tree


def test_imports_flow_one_way_between_layers():
    wrong = []
    for module, imported in GRAPH.items():
        layer = module.split(".")[0]
        if layer == "orchestration":
            continue
        for name in imported:
            target = name.split(".")[0]
            if target != layer and target not in ALLOWED[layer]:
                wrong.append(f"{module} imports {name}")
    assert wrong == [], "imports against the layering of docs/architecture.md:\n" + "\n".join(
        sorted(wrong)
    )


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of ``graph``: each component of more than one
    node is an import circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
            if succ not in graph or succ == node:
                continue
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_circles():
    found = circles(GRAPH)
    assert found == [], "import circles:\n" + "\n".join(" ⇄ ".join(c) for c in found)


def test_the_circle_check_finds_planted_circles():
    """Worked by hand: a ⇄ b is a circle, c only imports into it; d → e → f → d is a second."""
    planted = {"a": {"b"}, "b": {"a"}, "c": {"a"}, "d": {"e"}, "e": {"f"}, "f": {"d"}, "g": set()}
    assert sorted(circles(planted)) == [["a", "b"], ["d", "e", "f"]]


def test_nothing_reaches_into_dagster_private_internals():
    wrong = [
        f"{module}: {name}"
        for module, path in MODULES.items()
        for name in _all_imported_names(path)
        if name.startswith("dagster._") or name.startswith("dagster_dbt._")
    ]
    assert wrong == []


def _all_imported_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_environment_is_written_in_one_settings_module():
    wrong = []
    # The benchmarks too: they run nights in their own process, through the same settings.
    benchmarks = {f"bench.{path.stem}": path for path in sorted((REPO / "bench").glob("*.py"))}
    for module, path in {**MODULES, **benchmarks}.items():
        if path.relative_to(REPO).as_posix() == ENVIRONMENT_WRITER:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            elif isinstance(node, ast.Delete):
                targets = node.targets
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = ast.unparse(node.func.value)
                if owner == "os.environ" and node.func.attr in {"update", "pop", "setdefault"}:
                    wrong.append(f"{module}:{node.lineno} os.environ.{node.func.attr}(…)")
            for target in targets:
                if isinstance(target, ast.Subscript) and ast.unparse(target.value) == "os.environ":
                    wrong.append(f"{module}:{node.lineno} {ast.unparse(target)} = …")
    assert wrong == [], (
        "environment written outside " + ENVIRONMENT_WRITER + ":\n" + "\n".join(wrong)
    )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_one_job_per_module_none_over_400_lines(module):
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[module].relative_to(REPO)} has {lines} lines"


def test_the_modules_the_suite_starts_first_exist() -> None:
    """tests/conftest.py orders the longest modules first by path: a renamed one would silently
    fall back to the end of the queue."""
    from conftest import LONGEST_FIRST

    root = Path(__file__).resolve().parents[1]
    assert [module for module in LONGEST_FIRST if not (root / module).is_file()] == []
