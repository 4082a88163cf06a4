"""A deployment is checked before anything is trained or written (bootstrapping itself
trains a model and runs end to end in ``tests/dags``)."""

from __future__ import annotations

import pytest

from upgradeflow.errors import UserInputError
from upgradeflow.index.spec import IndexSpec
from upgradeflow.upgrade.bootstrap import Deployment


@pytest.mark.parametrize("shards", [0, -3])
def test_a_gallery_needs_at_least_one_shard(shards):
    with pytest.raises(UserInputError, match=f"--gallery-shards must be >= 1, got {shards}"):
        Deployment("m", "g", "g", IndexSpec(), gallery_shards=shards)
