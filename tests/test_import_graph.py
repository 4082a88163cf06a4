"""The package structure holds: the product never imports the benchmarks, and no two
packages import each other, even through others. Read from the source with ``ast``, so
an import added inside a function counts as much as one at the top."""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "upgradeflow"
# The command line is the one place that offers the benchmarks (``upgradeflow bench``).
MAY_IMPORT_BENCH = {"bench", "cli", "cli_pairs", "cli_trade_off"}


def package_of(path: Path) -> str:
    """A subpackage's name, or a top-level module's own name."""
    parts = path.relative_to(SOURCE).parts
    return parts[0] if len(parts) > 1 else path.stem


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] == "upgradeflow":
                found |= {parts[1]} if len(parts) > 1 else {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("upgradeflow.")}
    return found


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in SOURCE.rglob("*.py"):
        package = package_of(path)
        graph.setdefault(package, set()).update(imported_packages(path) - {package})
    return graph


def cycle_from(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A path start -> ... -> start, if the imports lead back to ``start``."""
    stack, seen = [(start, [start])], set()
    while stack:
        package, path = stack.pop()
        for imported in sorted(graph.get(package, ())):
            if imported == start:
                return [*path, start]
            if imported not in seen:
                seen.add(imported)
                stack.append((imported, [*path, imported]))
    return None


def test_the_graph_is_read() -> None:
    graph = package_graph()
    assert {"bench", "methods", "serve", "store", "training"} <= graph.keys()
    assert "methods" in graph["bench"] and "training" in graph["methods"]


def test_the_product_never_imports_the_benchmarks() -> None:
    importers = {package for package, imported in package_graph().items() if "bench" in imported}
    assert importers <= MAY_IMPORT_BENCH, sorted(importers - MAY_IMPORT_BENCH)


def test_no_two_packages_import_each_other() -> None:
    graph = package_graph()
    cycles = [cycle for package in sorted(graph) if (cycle := cycle_from(graph, package))]
    assert cycles == [], " ; ".join(" -> ".join(cycle) for cycle in cycles)


def test_a_cycle_is_found_where_there_is_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycle_from(graph, "a") == ["a", "b", "c", "a"]
    assert cycle_from(graph, "d") is None
