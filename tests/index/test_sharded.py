"""Sharded FAISS indexes: merged results equal one exact search; approximate kinds recall."""

from __future__ import annotations

import numpy as np
import pytest

from tests.store.helpers import unit_vectors, write_embeddings
from upgradeflow.errors import UserInputError
from upgradeflow.index.sharded import IndexCatalog, ShardedIndex
from upgradeflow.index.spec import IndexSpec
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.local import LocalStore


@pytest.fixture
def gallery(tmp_path):
    vectors = unit_vectors(5000, 32, seed=0)
    gallery = Gallery(LocalStore(tmp_path / "store"), "g")
    import_tables(
        gallery, write_embeddings(tmp_path / "g.parquet", 5000, vectors=vectors), shard_rows=1300, progress=False
    )
    return gallery, vectors


def _exact(vectors, queries, k):
    scores = queries @ vectors.T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, axis=1), order


def test_sharded_flat_search_equals_one_exact_search(gallery):
    gallery, vectors = gallery
    catalog = IndexCatalog(gallery.store, "g")
    version, manifest = catalog.build(gallery, progress=False)
    assert manifest["rows"] == 5000 and len(manifest["shards"]) == 4
    catalog.swap(version)
    queries = unit_vectors(40, 32, seed=1)
    scores, ids = ShardedIndex.load(catalog).search(queries, 10)
    exact_scores, rows = _exact(vectors, queries, 10)
    np.testing.assert_allclose(scores, exact_scores, atol=1e-5)
    assert (ids == np.array([[f"item-{r}" for r in row] for row in rows], dtype=object)).all()


@pytest.mark.parametrize("spec", [IndexSpec("ivf", nlist=32, nprobe=8), IndexSpec("hnsw", ef_search=64)])
def test_approximate_indexes_recall(gallery, spec):
    gallery, vectors = gallery
    catalog = IndexCatalog(gallery.store, "g")
    version, manifest = catalog.build(gallery, spec=spec, progress=False)
    assert manifest["spec"] == spec.to_dict() and version.endswith(spec.kind)
    queries = vectors[:100] + 0.05 * unit_vectors(100, 32, seed=2)
    _, ids = ShardedIndex.load(catalog, version).search(queries, 10)
    _, rows = _exact(vectors, queries, 10)
    truth = [{f"item-{r}" for r in row} for row in rows]
    recall = np.mean([len(truth[i] & set(ids[i])) / 10 for i in range(100)])
    assert recall > 0.8


def test_one_shard_at_a_time_then_sealed(gallery):
    gallery, _ = gallery
    catalog = IndexCatalog(gallery.store, "g")
    for shard in range(3):
        assert catalog.build(gallery, shard=shard, progress=False)[1] is None
    version, manifest = catalog.build(gallery, shard=3, progress=False)
    assert manifest is not None and manifest["rows"] == 5000
    with pytest.raises(UserInputError, match="no shard 9"):
        catalog.build(gallery, shard=9, progress=False)
    with pytest.raises(UserInputError, match="queries have shape"):
        ShardedIndex.load(catalog, version).search(np.zeros((2, 5), np.float32), 3)
