import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from upgradeflow.data.fashion_mnist import DEFAULT_DIR, read_fashion_mnist
from upgradeflow.data.image_folder import read_image_folder
from upgradeflow.data.image_parquet import read_image_parquet
from upgradeflow.data.registry import load_dataset
from upgradeflow.errors import UserInputError


def png(value: int, size: int = 40) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((size, size, 3), value, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


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


def test_image_folder_tree(tmp_path):
    for identity in ("cat", "dog", "eel"):
        for i in range(4):
            (tmp_path / identity).mkdir(exist_ok=True)
            (tmp_path / identity / f"{i}.png").write_bytes(png(10 * i))
    data = read_image_folder(tmp_path)
    assert len(data) == 12 and list(np.unique(data.identities)) == [0, 1, 2]
    assert data.ids[0] == "cat/0.png"
    with pytest.raises(UserInputError, match="no images"):
        read_image_folder(tmp_path / "cat")


def test_unknown_dataset_is_a_user_error(tmp_path):
    with pytest.raises(UserInputError, match="unknown dataset 'imagenet'"):
        load_dataset("imagenet", tmp_path)


@pytest.mark.skipif(not Path(DEFAULT_DIR).exists(), reason="dataset-fashion-mnist not installed")
def test_fashion_mnist_from_the_debian_package():
    data = read_fashion_mnist()
    assert data.images.shape == (70000, 28, 28)
    assert set(np.unique(data.identities)) == set(range(10))
    assert (data.role == "query").sum() == 1000 and (data.split == "train").sum() == 60000
