"""Datasets by the names the command line takes."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.data.helpers import png
from upgradeflow.data.registry import load_dataset
from upgradeflow.errors import UserInputError


def test_unknown_dataset_is_a_user_error(tmp_path):
    with pytest.raises(UserInputError, match="unknown dataset 'imagenet'"):
        load_dataset("imagenet", tmp_path)


@pytest.mark.parametrize("name", ["parquet:", "folder:"])
def test_a_path_dataset_needs_its_path(tmp_path, name):
    with pytest.raises(UserInputError, match=f"unknown dataset '{name}'"):
        load_dataset(name, tmp_path)


def test_parquet_and_folder_names_load_their_path(tmp_path):
    images = tmp_path / "images.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "identity": [1, 2], "image": [png(1), png(2)]}), images)
    assert load_dataset(f"parquet:{images}", tmp_path / "unused", progress=False).ids.tolist() == ["a", "b"]
    (tmp_path / "tree" / "cat").mkdir(parents=True)
    (tmp_path / "tree" / "cat" / "0.png").write_bytes(png(3))
    assert load_dataset(f"folder:{tmp_path / 'tree'}", tmp_path / "unused").ids.tolist() == ["cat/0.png"]
