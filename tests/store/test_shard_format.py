"""``conform``: a user batch either becomes a shard batch or is refused in one line."""

from __future__ import annotations

import pyarrow as pa
import pytest

from upgradeflow.errors import UserInputError
from upgradeflow.store.shard_format import conform


def batch(ids: pa.Array, embeddings: pa.Array) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([ids, embeddings], names=["id", "embedding"])


def test_integer_ids_are_refused():
    with pytest.raises(UserInputError, match=r"t\.parquet: column 'id' must be string, got int64"):
        conform(batch(pa.array([1, 2], pa.int64()), pa.array([[1.0], [1.0]], pa.list_(pa.float32()))), "t.parquet")


def test_string_like_ids_still_convert():
    out = conform(batch(pa.array(["a", "b"], pa.large_string()), pa.array([[1.0], [1.0]])), "t")
    assert out.schema.field("id").type == pa.string() and out.column("id").to_pylist() == ["a", "b"]


@pytest.mark.parametrize("kind", [pa.list_(pa.float32()), pa.list_(pa.float32(), 0)])
def test_zero_dimensional_embeddings_are_refused(kind):
    with pytest.raises(UserInputError, match=r"t\.parquet: embedding has 0 dimensions"):
        conform(batch(pa.array(["a", "b"]), pa.array([[], []], kind)), "t.parquet")
