"""Injected faults: each named step fails once, the first time only, so a resilience
test can show that a retry finishes the work."""

from __future__ import annotations

import pytest

from upgradeflow.fault_injection import InjectedFault, fail_once


def test_a_step_fails_the_first_time_only(tmp_path, monkeypatch):
    monkeypatch.setenv("UPGRADEFLOW_FAIL_ONCE", f"evolve_shard:{tmp_path / 'marker'}")
    with pytest.raises(InjectedFault, match=r"^evolve_shard: injected fault \(UPGRADEFLOW_FAIL_ONCE\)$"):
        fail_once("evolve_shard")
    fail_once("evolve_shard")  # the marker remembers: the retry goes through
    assert (tmp_path / "marker").exists()


def test_each_listed_step_fails_once_and_others_never(tmp_path, monkeypatch):
    monkeypatch.setenv("UPGRADEFLOW_FAIL_ONCE", f"a:{tmp_path / 'a'},b:{tmp_path / 'b'},c:")
    fail_once("unlisted")
    fail_once("c")  # no marker named: nothing to remember a failure by, so none
    for step in ("b", "a"):
        with pytest.raises(InjectedFault, match=f"^{step}: "):
            fail_once(step)
    fail_once("a")
    fail_once("b")


def test_without_the_variable_nothing_fails(monkeypatch):
    monkeypatch.delenv("UPGRADEFLOW_FAIL_ONCE", raising=False)
    fail_once("evolve_shard")
