"""A version the lanes wrote is sealed only once every shard is finished."""

from __future__ import annotations

import pytest

from upgradeflow.errors import UserInputError
from upgradeflow.upgrade.lanes import evolve_lane
from upgradeflow.upgrade.sealing import seal_evolved


def test_a_version_with_an_unfinished_lane_is_not_sealed(evolving_run):
    evolve_lane(evolving_run, "g", [0, 1, 2])
    with pytest.raises(UserInputError, match="2 of 5 shards not finished"):
        seal_evolved(evolving_run, "g")
    target = evolve_lane(evolving_run, "g", [3, 4])["target"]
    assert seal_evolved(evolving_run, "g") == {"version": target, "rows": 50, "shards": 5}
