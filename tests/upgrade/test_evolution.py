"""Which version an upgrade evolves into which, from the store alone: every lane and
retry derives the same names, and once the evolved version is live (or was, and its
backfill replaced it) the evolution counts as done."""

from __future__ import annotations

import pytest

from upgradeflow.errors import UserInputError
from upgradeflow.index.spec import IndexSpec
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.location import open_store
from upgradeflow.upgrade.evolution import evolution_target
from upgradeflow.upgrade.lanes import build_index_lane, evolve_lane
from upgradeflow.upgrade.make_live import commit_evolved
from upgradeflow.upgrade.sealing import seal_evolved


def test_a_gallery_with_nothing_live_cannot_be_evolved(tmp_path):
    with pytest.raises(UserInputError, match="no live version to evolve"):
        evolution_target(Gallery(open_store(str(tmp_path / "store")), "g"), "0" * 64)


def test_the_target_is_named_by_the_adapter_and_done_once_live(evolving_run):
    digest = evolving_run.record["adapter_sha256"]
    gallery = Gallery(evolving_run.store, "g")
    before = evolution_target(gallery, digest)
    assert (before.source, before.target, before.done) == ("v1", f"v1.evolved-{digest[:8]}", False)
    assert evolution_target(gallery, "f" * 64).target == f"v1.evolved-{'f' * 8}"  # another adapter, another name
    evolve_lane(evolving_run, "g", [0, 1, 2, 3, 4])
    seal_evolved(evolving_run, "g")
    build_index_lane(evolving_run, "g", "g", IndexSpec(), [0, 1, 2, 3, 4])
    commit_evolved(evolving_run, "g", "g", IndexSpec())
    after = evolution_target(gallery, digest)
    assert (after.source, after.target, after.done, after.backfilled) == ("v1", before.target, True, False)
