"""The package structure holds: the product never imports the benchmarks, no two
packages import each other, even through others, and the query service reaches no
training code. Read from the source with ``ast``, so an import inside a function (a
lazy one) counts as much as one at the top."""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "upgradeflow"
# The command line is the one place that offers the benchmarks (``upgradeflow bench``).
MAY_IMPORT_BENCH = {"bench", "cli"}
TRAINING_CODE = {"training", "methods", "bench"}


def module_file(module: str) -> Path | None:
    path = SOURCE.parent.joinpath(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def upgradeflow_imports(path: Path) -> set[str]:
    """Every ``upgradeflow...`` name the file at ``path`` imports, top-level or lazy: the
    module of each ``from`` import and that module's dotted name for each imported name."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "upgradeflow":
                found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("upgradeflow.")}
    return found


def imported_modules(module: str) -> set[str]:
    """The upgradeflow modules ``module`` imports, with the packages they sit in (whose
    ``__init__`` runs on the way)."""
    found = upgradeflow_imports(module_file(module))
    parents = {".".join(m.split(".")[:i]) for m in found for i in range(1, m.count(".") + 1)}
    return {m for m in found | parents if module_file(m)}


def import_closure(roots: list[str]) -> dict[str, str | None]:
    """Every module reachable from ``roots``, each with the module that first imports it."""
    reached: dict[str, str | None] = dict.fromkeys(roots)
    pending = list(roots)
    while pending:
        module = pending.pop()
        for imported in imported_modules(module) - reached.keys():
            reached[imported] = module
            pending.append(imported)
    return reached


def chain(reached: dict[str, str | None], module: str) -> str:
    links = [module]
    while (importer := reached[links[-1]]) is not None:
        links.append(importer)
    return " <- ".join(links)


def package_of(path: Path) -> str:
    """A subpackage's name, or a top-level module's own name."""
    parts = path.relative_to(SOURCE).parts
    return parts[0] if len(parts) > 1 else path.stem


def imported_packages(path: Path) -> set[str]:
    return {name.split(".")[1] for name in upgradeflow_imports(path) if name.count(".") >= 1}


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


def test_the_query_service_imports_no_training_code() -> None:
    roots = [f"upgradeflow.serve.{p.stem}" for p in sorted((SOURCE / "serve").glob("*.py"))]
    reached = import_closure(roots)
    assert "upgradeflow.registry.embedding_model" in reached and "upgradeflow.store.gallery" in reached
    training = [chain(reached, m) for m in sorted(reached) if m.split(".")[1:2] and m.split(".")[1] in TRAINING_CODE]
    assert training == [], "\n".join(training)


def defined_names(path: Path) -> set[str]:
    """What ``from module import name`` can take from the module at ``path``."""
    names = set()
    for node in ast.parse(path.read_text(), filename=str(path)).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def test_every_upgradeflow_import_names_something_that_exists() -> None:
    """A lazy import inside a function runs only when its step does; a name moved away
    would fail there, in a DAG run, long after the move."""
    root = SOURCE.parents[1]
    missing = []
    for folder in ("src", "tasks", "dags", "benchmarks", "tests"):
        for path in sorted((root / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
                    continue
                if node.module.split(".")[0] != "upgradeflow":
                    continue
                target = module_file(node.module)
                if target is None:
                    missing.append(f"{path.relative_to(root)}:{node.lineno}: no module {node.module}")
                    continue
                names = defined_names(target)
                for alias in node.names:
                    if alias.name not in names and module_file(f"{node.module}.{alias.name}") is None:
                        missing.append(f"{path.relative_to(root)}:{node.lineno}: {node.module} has no {alias.name}")
    assert missing == [], "\n".join(missing)
