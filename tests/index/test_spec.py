"""Index specs: which FAISS index a shard gets, and the knobs a loaded index must
search with to answer as it was measured."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from tests.store.helpers import unit_vectors
from upgradeflow.errors import UserInputError
from upgradeflow.index.spec import IndexSpec


def test_flat_is_exact_inner_product():
    vectors, queries = unit_vectors(50, 8, seed=0), unit_vectors(3, 8, seed=1)
    scores, rows = IndexSpec().build(vectors).search(queries, 5)
    expected = np.argsort(-(queries @ vectors.T), axis=1, kind="stable")[:, :5]
    np.testing.assert_array_equal(rows, expected)
    np.testing.assert_allclose(scores, np.take_along_axis(queries @ vectors.T, expected, 1), rtol=1e-5)


def test_configure_sets_the_specs_search_knobs_on_a_loaded_index():
    """The manifest's spec, not whatever the index file carries, decides how a loaded
    index searches."""
    vectors = unit_vectors(400, 8, seed=0)
    ivf = faiss.deserialize_index(faiss.serialize_index(IndexSpec("ivf", nlist=4, nprobe=1).build(vectors)))
    hnsw = faiss.deserialize_index(faiss.serialize_index(IndexSpec("hnsw", ef_search=8).build(vectors)))
    IndexSpec("ivf", nlist=4, nprobe=3).configure(ivf)
    IndexSpec("hnsw", ef_search=17).configure(hnsw)
    assert faiss.extract_index_ivf(ivf).nprobe == 3 and hnsw.hnsw.efSearch == 17
    parameters = IndexSpec("ivf", nprobe=3).search_parameters(faiss.IDSelectorAll())
    assert isinstance(parameters, faiss.SearchParametersIVF) and parameters.nprobe == 3


def test_ivf_picks_its_cells_from_the_rows_and_needs_enough_of_them():
    assert faiss.extract_index_ivf(IndexSpec("ivf").build(unit_vectors(400, 8, seed=0))).nlist == 10  # 400 // 39
    with pytest.raises(UserInputError, match="IVF with 64 cells needs at least 64 rows per shard, got 50"):
        IndexSpec("ivf", nlist=64).build(unit_vectors(50, 8, seed=0))


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"kind": "lsh"}, "unknown index kind 'lsh'"), ({"nprobe": 0}, "must be positive"), ({"nlist": -1}, "positive")],
)
def test_bad_specs_are_refused(settings, message):
    with pytest.raises(UserInputError, match=message):
        IndexSpec(**settings)
