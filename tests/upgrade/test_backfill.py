"""Every backfill step derives the same source and target from the store alone, and a
live backfill still counts as a finished evolution (a re-run must not evolve it again)."""

from __future__ import annotations

import pytest

from tests.backfill.helpers import evolved_gallery, image_dataset, tiny_model
from tests.store.helpers import make_adapter, write_embeddings
from upgradeflow.backfill.extraction import backfill_shard, model_digest
from upgradeflow.backfill.planning import BackfillRequest, plan_backfill
from upgradeflow.data.sources import SourceResolver
from upgradeflow.errors import UserInputError
from upgradeflow.models.adapter import adapter_digest
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.location import open_store
from upgradeflow.upgrade.backfill import backfill_target
from upgradeflow.upgrade.evolution import evolution_target

KEY = "fedcba9876543210"


def test_targets_before_and_after_the_swap(tmp_path):
    gallery = Gallery(open_store(str(tmp_path / "store")), "g")
    dataset = image_dataset(tmp_path / "images.parquet")
    adapter = make_adapter(tmp_path / "adapter")
    digest = adapter_digest(adapter)
    evolved = evolved_gallery(gallery, dataset, adapter)
    target = backfill_target(gallery, digest, KEY)
    assert target == type(target)(evolved, f"{evolved}.backfill-{KEY[:8]}", "v1", False)

    model = tiny_model(2)
    plan = plan_backfill(gallery, evolved, target.target, BackfillRequest("m", model_digest(model), 16))
    for index in range(plan.shards):
        backfill_shard(gallery, target.target, index, model, SourceResolver(tmp_path))
    gallery.commit(target.target)
    assert backfill_target(gallery, digest, KEY).done
    evolution = evolution_target(gallery, digest)
    assert (evolution.source, evolution.target, evolution.done, evolution.backfilled) == ("v1", evolved, True, True)


def test_backfill_before_the_evolved_gallery_is_live_is_refused(tmp_path):
    gallery = Gallery(open_store(str(tmp_path / "store")), "g")
    import_tables(gallery, write_embeddings(tmp_path / "g.parquet", 10), version="v1", progress=False)
    with pytest.raises(UserInputError, match=r"v1\.evolved-00000000 is not live; commit the evolved gallery"):
        backfill_target(gallery, "0" * 64, KEY)
