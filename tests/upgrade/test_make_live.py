"""The pipeline's own pointer moves (``commit_evolved`` and ``swap_backfilled`` both go
through ``make_live``) are conditional: the index moves only from the index built on the
gallery version the new one was built from, so a rollback in between is never undone."""

from __future__ import annotations

import pytest

from tests.store.helpers import unit_vectors, write_embeddings
from upgradeflow.errors import ConflictError
from upgradeflow.index.sharded import IndexCatalog
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.location import open_store
from upgradeflow.upgrade.make_live import make_live


@pytest.fixture
def staged(tmp_path, store_uri):
    """Gallery and index live on ``parent`` (``older`` before it); ``new``, built on
    ``parent``, is sealed and indexed but not live."""
    store = open_store(store_uri)
    gallery, catalog = Gallery(store, "g"), IndexCatalog(store, "g")
    for seed, version in enumerate(["older", "parent", "new"]):
        path = write_embeddings(tmp_path / f"{version}.parquet", 40, vectors=unit_vectors(40, 16, seed))
        import_tables(gallery, path, version=version, shard_rows=20, commit=version != "new", progress=False)
        catalog.build(gallery, version, progress=False)
        if version != "new":
            catalog.swap(f"{version}.flat")
    assert gallery.manifest("new")["parent"] == "parent"
    return gallery, catalog


def test_make_live_refuses_to_undo_an_index_rollback(staged):
    gallery, catalog = staged
    catalog.rollback("parent.flat")  # someone rolled the index back meanwhile
    with pytest.raises(ConflictError, match=r"older\.flat.*built on older, not parent"):
        make_live(gallery, catalog, "new", "new.flat")
    assert (gallery.pointer().current, catalog.pointer().current) == ("parent", "older.flat")


def test_make_live_finishes_after_a_crash_and_a_rerun_changes_nothing(staged):
    gallery, catalog = staged
    gallery.commit("new", verify=False)  # crashed after the gallery moved, before the index did
    assert make_live(gallery, catalog, "new", "new.flat") == {
        "gallery_version": "new",
        "index_version": "new.flat",
        "changed": True,
    }
    assert catalog.pointer().history == ["older.flat", "parent.flat", "new.flat"]
    assert make_live(gallery, catalog, "new", "new.flat")["changed"] is False
    assert catalog.pointer().history == ["older.flat", "parent.flat", "new.flat"]


def test_commit_evolved_waits_for_every_indexed_shard_then_moves_both_once(evolving_run):
    from upgradeflow.errors import UserInputError
    from upgradeflow.index.spec import IndexSpec
    from upgradeflow.upgrade.lanes import build_index_lane, evolve_lane
    from upgradeflow.upgrade.make_live import commit_evolved
    from upgradeflow.upgrade.sealing import seal_evolved

    target = evolve_lane(evolving_run, "g", [0, 1, 2, 3, 4])["target"]
    seal_evolved(evolving_run, "g")
    build_index_lane(evolving_run, "g", "g", IndexSpec(), [0, 1, 2])
    with pytest.raises(UserInputError, match="not every shard is indexed yet"):
        commit_evolved(evolving_run, "g", "g", IndexSpec())
    assert Gallery(evolving_run.store, "g").pointer().current == "v1"
    build_index_lane(evolving_run, "g", "g", IndexSpec(), [3, 4])
    live = commit_evolved(evolving_run, "g", "g", IndexSpec())
    assert live == {"gallery_version": target, "index_version": f"{target}.flat", "changed": True}
    assert commit_evolved(evolving_run, "g", "g", IndexSpec())["changed"] is False
