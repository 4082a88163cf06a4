"""Rolling back the last promotion, against a real MLflow registry on SQLite: a champion
no upgrade promoted is refused in one line; a rollback steps each pointer back past the
upgrade's versions and no further, also when it is retried after finishing part of it."""

from __future__ import annotations

import pytest

from tests.store.helpers import unit_vectors, write_embeddings
from tests.upgrade.helpers import promote_version_2
from upgradeflow.errors import UserInputError
from upgradeflow.index.sharded import IndexCatalog
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.upgrade.rollback import PromotedUpgrade, roll_back

MODEL = "rollback-test"


@pytest.fixture
def promoted(tmp_path, restore_tracking):
    """Gallery and index went P -> E (evolved) -> B (backfilled); version 2, promoted by
    that upgrade over version 1, is the champion."""
    from mlflow import MlflowClient

    from upgradeflow.registry.tracking import use_tracking
    from upgradeflow.store.location import open_store

    use_tracking(f"sqlite:///{tmp_path / 'mlflow.db'}")
    store = open_store(str(tmp_path / "store"))
    gallery, catalog = Gallery(store, "g"), IndexCatalog(store, "g")
    for seed, version in enumerate(["P", "E", "B"]):
        path = write_embeddings(tmp_path / f"{version}.parquet", 20, vectors=unit_vectors(20, 8, seed))
        import_tables(gallery, path, version=version, progress=False)
        catalog.build(gallery, version, progress=False)
        catalog.swap(f"{version}.flat")
    client = MlflowClient()
    client.create_registered_model(MODEL)
    for _ in range(2):
        client.create_model_version(MODEL, source=str(tmp_path / "unused"))  # never loaded
    client.set_registered_model_alias(MODEL, "champion", "1")
    return store, gallery, catalog, client


def test_a_champion_no_upgrade_promoted_is_refused(promoted):
    store, *_ = promoted
    with pytest.raises(UserInputError, match=f"models:/{MODEL}/1: was not promoted by an upgrade") as raised:
        PromotedUpgrade.of(store, MODEL)
    assert "\n" not in str(raised.value)


def test_a_rollback_steps_back_past_the_upgrade_once(promoted):
    store, gallery, catalog, client = promoted
    promote_version_2(client, MODEL)
    upgrade = PromotedUpgrade.of(store, MODEL)
    assert upgrade.live() | {"champion": None} == {
        "champion": None, "gallery": "g", "index": "g", "gallery_version": "B", "index_version": "B.flat"
    }  # fmt: skip
    catalog.rollback("B.flat", steps=2)  # an earlier try moved the index back already
    result = roll_back(upgrade, expect_gallery="B", expect_index="B.flat")
    assert result["moved"] == ["gallery"]
    assert (gallery.pointer().current, catalog.pointer().current) == ("P", "P.flat")
    assert str(client.get_model_version_by_alias(MODEL, "champion").version) == "1"
    assert roll_back(upgrade)["moved"] == []  # retried: nothing left to step back
    assert (gallery.pointer().current, catalog.pointer().current) == ("P", "P.flat")
