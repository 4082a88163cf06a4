"""The pipeline table both orchestrators are built from is consistent: every step runs
a step module that exists, refers only to run parameters or to what an orchestrator
supplies, and fans out only over a planning step that runs before it."""

from __future__ import annotations

from pathlib import Path

import pytest

from upgradeflow.upgrade.pipeline import PARAMETERS, RELEASE_LEASE, STEPS, SUPPLIED, TAKE_LEASE, RunParameter

TASKS = Path(__file__).resolve().parents[2] / "tasks"
ALL_STEPS = (TAKE_LEASE, *STEPS, RELEASE_LEASE)


def test_every_step_runs_a_step_module():
    for step in ALL_STEPS:
        assert (TASKS / f"{step.module}.py").is_file(), step.module
    assert len({step.task for step in ALL_STEPS}) == len(ALL_STEPS)


def test_every_reference_is_a_parameter_or_supplied():
    names = {p.name for p in PARAMETERS} | set(SUPPLIED)
    for step in ALL_STEPS:
        assert set(step.references()) <= names, (step.task, set(step.references()) - names)
    used = {name for step in ALL_STEPS for name in step.references()}
    assert {p.name for p in PARAMETERS} <= used  # no parameter that no step reads


def test_lanes_come_from_an_earlier_planning_step():
    seen = set()
    for step in STEPS:
        if step.lanes:
            assert step.lanes in seen, step.task
            assert step.references()[-1] == "shards", step.task
        seen.add(step.task)


def test_defaults_satisfy_their_own_schema():
    kinds = {"string": str, "integer": int, "number": float, "boolean": bool}
    for parameter in PARAMETERS:
        assert isinstance(parameter.default, kinds[parameter.type]), parameter.name
        if parameter.enum:
            assert parameter.default in parameter.enum, parameter.name
        if parameter.minimum is not None:
            assert parameter.default >= parameter.minimum, parameter.name


@pytest.mark.parametrize(
    ("supplied", "expected"),
    [({"shards": "0-3"}, ["--run-key", "k", "--gallery", "g", "--shards", "0-3"]),
     ({"shards": None}, ["--run-key", "k", "--gallery", "g"])],
)  # fmt: skip
def test_rendering_fills_references_and_drops_an_unsupplied_option(supplied, expected):
    evolve = next(step for step in STEPS if step.task == "evolve_shard")
    values = {"run_key": "k", "gallery": "g"} | supplied
    assert evolve.render(values.get) == expected


def test_a_parameter_schema_leaves_out_what_is_unset():
    assert RunParameter("x", 1, "integer", minimum=0).schema() == {"minimum": 0}
    assert RunParameter("y", "a", "string", enum=("a", "b")).schema() == {"enum": ["a", "b"]}
