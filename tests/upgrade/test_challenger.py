"""The challenger's training refuses, before any training, a gallery its adapter could
not evolve."""

import pytest

from tests.store.helpers import write_embeddings
from upgradeflow.errors import UserInputError
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.local import LocalStore
from upgradeflow.upgrade.challenger import check_gallery_dimension


def test_a_gallery_of_another_dimension_is_rejected(tmp_path):
    store = LocalStore(tmp_path / "store")
    import_tables(Gallery(store, "g"), write_embeddings(tmp_path / "e.parquet", 20, dim=16), progress=False)
    check_gallery_dimension(store, "g", 16, "models:/m/1")
    with pytest.raises(UserInputError, match="stores 16-d embeddings but models:/m/1 embeds 128-d"):
        check_gallery_dimension(store, "g", 128, "models:/m/1")
