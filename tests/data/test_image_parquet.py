"""A Parquet file of encoded images: the glyph benchmark's format and a user's own."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.data.helpers import png
from upgradeflow.data.image_parquet import read_image_parquet
from upgradeflow.errors import UserInputError


def test_user_parquet_is_decoded_resized_and_split(tmp_path):
    path = tmp_path / "mine.parquet"
    identities = np.repeat(np.arange(20), 5)
    pq.write_table(
        pa.table(
            {
                "id": [f"i{i}" for i in range(100)],
                "identity": identities,
                "image": [png(i) for i in range(100)],
            }
        ),
        path,
    )
    data = read_image_parquet(path, progress=False)
    assert data.images.shape == (100, 32, 32)
    assert data.images[7, 0, 0] == 7
    assert {"train", "test"} == set(data.split)


def test_a_stored_split_is_kept_and_its_values_checked(tmp_path):
    """Rows that carry their own split and roles are not re-split: a benchmark's
    published split must be the one evaluated."""
    columns = {"id": ["a", "b"], "identity": [1, 2], "image": [png(1), png(2)]}
    path = tmp_path / "split.parquet"
    pq.write_table(pa.table({**columns, "split": ["test", "train"], "role": ["query", "train"]}), path)
    data = read_image_parquet(path, progress=False)
    assert (data.split.tolist(), data.role.tolist()) == (["test", "train"], ["query", "train"])
    pq.write_table(pa.table({**columns, "split": ["test", "dev"], "role": ["query", "train"]}), path)
    with pytest.raises(UserInputError, match=r"column 'split' has unknown values \['dev'\]"):
        read_image_parquet(path, progress=False)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pa.table({"id": ["a"], "image": [b"x"]}), "missing column 'identity'"),
        (
            pa.table({"id": ["a"], "identity": ["one"], "image": [b"x"]}),
            "column 'identity' has type",
        ),
        (
            pa.table({"id": ["a"], "identity": [1], "image": [b"not an image"]}),
            "not a decodable image",
        ),
        (pa.table({"id": ["a", "a"], "identity": [1, 1], "image": [png(1), png(2)]}), "duplicate"),
    ],
)
def test_bad_parquet_is_a_user_error(tmp_path, table, message):
    path = tmp_path / "bad.parquet"
    pq.write_table(table, path)
    with pytest.raises(UserInputError, match=message):
        read_image_parquet(path, progress=False)


def test_unreadable_parquet_is_a_user_error(tmp_path):
    path = tmp_path / "junk.parquet"
    path.write_bytes(b"this is not parquet")
    with pytest.raises(UserInputError, match="not a readable Parquet"):
        read_image_parquet(path, progress=False)
    with pytest.raises(UserInputError, match="no such file"):
        read_image_parquet(tmp_path / "absent.parquet", progress=False)
