"""A run's lanes on a local store: planned to cover every shard of the live version once,
each lane evolving and indexing its own shards, a repeated lane redoing nothing, and an
interrupted lane finishing on retry."""

from __future__ import annotations

import pytest

from upgradeflow.fault_injection import InjectedFault
from upgradeflow.index.sharded import IndexCatalog
from upgradeflow.index.spec import IndexSpec
from upgradeflow.upgrade.lanes import build_index_lane, evolve_lane, plan_evolution_lanes
from upgradeflow.upgrade.sealing import seal_evolved


def test_lanes_cover_every_shard_once(evolving_run):
    lanes = plan_evolution_lanes(evolving_run, "g", concurrency=2, max_map_length=1024)
    assert [lane["shards"] for lane in lanes] == ["0-2", "3-4"]
    assert {lane["source"] for lane in lanes} == {"v1"}
    assert len(plan_evolution_lanes(evolving_run, "g", concurrency=8, max_map_length=3)) == 3


def test_each_lane_evolves_its_own_shards_once(evolving_run):
    first = evolve_lane(evolving_run, "g", [0, 1, 2])
    assert (first["written"], first["done"]) == ([0, 1, 2], False)
    assert evolve_lane(evolving_run, "g", [0, 1, 2])["written"] == []  # a repeated lane skips finished shards
    assert evolve_lane(evolving_run, "g", [3, 4])["written"] == [3, 4]
    sealed = seal_evolved(evolving_run, "g")
    assert (sealed["version"], sealed["rows"], sealed["shards"]) == (first["target"], 50, 5)


def test_index_lanes_stop_once_the_index_is_sealed(evolving_run):
    for lane in ([0, 1, 2], [3, 4]):
        evolve_lane(evolving_run, "g", lane)
    seal_evolved(evolving_run, "g")
    spec = IndexSpec()
    assert build_index_lane(evolving_run, "g", "g", spec, [0, 1])["built"] == [0, 1]
    assert build_index_lane(evolving_run, "g", "g", spec, [0, 1])["built"] == []
    built = build_index_lane(evolving_run, "g", "g", spec, [2, 3, 4])
    gallery, target = evolving_run.evolution("g")
    IndexCatalog(evolving_run.store, "g").seal(gallery, target.target, built["version"], spec)
    assert build_index_lane(evolving_run, "g", "g", spec, [2])["built"] == []


def test_an_interrupted_lane_finishes_on_retry(evolving_run, tmp_path, monkeypatch):
    monkeypatch.setenv("UPGRADEFLOW_FAIL_ONCE", f"evolve_shard:{tmp_path / 'marker'}")
    with pytest.raises(InjectedFault):
        evolve_lane(evolving_run, "g", [0, 1])
    assert evolve_lane(evolving_run, "g", [0, 1])["written"] == [1]  # shard 0 finished before the fault
