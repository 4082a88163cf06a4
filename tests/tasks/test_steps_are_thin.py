"""Every step is argument handling and one library call: its ``work`` converts options
into values (a spec, thresholds, the run it names) and returns what one library function
returns. Logic that creeps into a step file runs only where steps run, untested by the
library's own tests; this fails first."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TASKS = Path(__file__).resolve().parents[2] / "tasks"
STEPS = sorted(p for p in TASKS.glob("*.py") if not p.name.startswith("_"))
MOST_STATEMENTS = 4  # conversions before the call; every step has at most three today


def work_of(path: Path) -> ast.FunctionDef:
    tree = ast.parse(path.read_text(), filename=str(path))
    return next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "work")


@pytest.mark.parametrize("path", STEPS, ids=lambda p: p.stem)
def test_work_returns_one_library_call(path):
    work = work_of(path)
    assert len(work.body) <= MOST_STATEMENTS, f"{path.name}: work has {len(work.body)} statements"
    *conversions, last = work.body
    assert isinstance(last, ast.Return) and isinstance(last.value, ast.Call), f"{path.name}: does not return a call"
    for statement in conversions:
        assert isinstance(statement, ast.Assign | ast.Expr), f"{path.name}: {ast.dump(statement)[:80]}"
    branching = [n for n in ast.walk(work) if isinstance(n, ast.If | ast.For | ast.While | ast.Try | ast.With)]
    assert branching == [], f"{path.name}: work branches or loops"


def test_every_step_is_checked():
    assert len(STEPS) == 18
