"""Evolving one shard through a forward adapter: the target's name follows from the
source and the adapter, and an adapter for another dimension is refused before any
shard is written."""

from __future__ import annotations

import pytest

from tests.store.helpers import make_adapter
from upgradeflow.errors import UserInputError
from upgradeflow.models.adapter import adapter_digest
from upgradeflow.store.gallery import Gallery
from upgradeflow.upgrade.evolve import evolve_shard


def test_the_target_is_named_by_source_and_adapter(evolving_run, tmp_path):
    gallery = Gallery(evolving_run.store, "g")
    adapter = make_adapter(tmp_path / "other-adapter", seed=5)
    target, record, worked = evolve_shard(gallery, adapter, "v1", 2)
    assert target == f"v1.evolved-{adapter_digest(adapter)[:8]}" and worked and record.rows == 10
    assert evolve_shard(gallery, adapter, "v1", 2)[2] is False  # the same shard by the same adapter: done


def test_an_adapter_for_another_dimension_is_refused(evolving_run, tmp_path):
    gallery = Gallery(evolving_run.store, "g")
    adapter = make_adapter(tmp_path / "wide-adapter", in_dim=32)
    with pytest.raises(UserInputError, match=r"adapter takes 32-d input, .* holds 16-d embeddings"):
        evolve_shard(gallery, adapter, "v1", 0)
    assert gallery.finished_shards(f"v1.evolved-{adapter_digest(adapter)[:8]}") == {}
