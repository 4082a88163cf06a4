from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from upgradeflow.data.items import read_items
from upgradeflow.errors import UserInputError
from upgradeflow.store.location import open_store


def png(value: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((6, 9, 3), value, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def text_table(rows: int = 40, per_identity: int = 4) -> pa.Table:
    return pa.table({
        "id": [f"t{i}" for i in range(rows)],
        "identity": pa.array([i // per_identity for i in range(rows)], pa.int64()),
        "text": [f"sentence {i}" for i in range(rows)],
    })  # fmt: skip


def test_a_text_file_streams_its_texts_in_row_order(tmp_path):
    pq.write_table(text_table(), tmp_path / "texts.parquet", row_group_size=7)
    items = read_items(tmp_path / "texts.parquet")
    assert (items.modality, len(items)) == ("text", 40)
    assert list(items.items()) == [f"sentence {i}" for i in range(40)]
    assert list(items.items(np.array([3, 8, 31]))) == ["sentence 3", "sentence 8", "sentence 31"]


def test_the_split_is_open_set_by_identity(tmp_path):
    pq.write_table(text_table(), tmp_path / "texts.parquet")
    items = read_items(tmp_path / "texts.parquet", seed=3)
    trained = set(items.identities[items.split == "train"])
    held_out = set(items.identities[items.split == "test"])
    assert trained and held_out and not trained & held_out
    assert set(items.role[items.split == "test"]) == {"query", "gallery"}


def test_an_image_file_streams_encoded_bytes(tmp_path):
    table = pa.table({"id": ["a", "b"], "identity": pa.array([0, 1], pa.int64()), "image": [png(10), png(200)]})
    pq.write_table(table, tmp_path / "images.parquet")
    items = read_items(tmp_path / "images.parquet")
    assert items.modality == "image"
    assert [Image.open(io.BytesIO(b)).getpixel((0, 0)) for b in items.items()] == [(10, 10, 10), (200, 200, 200)]


def test_a_folder_streams_its_files_by_identity(tmp_path):
    for folder, values in (("cat", (1, 2, 3)), ("dog", (4, 5))):
        (tmp_path / folder).mkdir()
        for value in values:
            (tmp_path / folder / f"{value}.png").write_bytes(png(value))
    items = read_items(tmp_path)
    assert list(items.ids) == ["cat/1.png", "cat/2.png", "cat/3.png", "dog/4.png", "dog/5.png"]
    assert list(items.identities) == [0, 0, 0, 1, 1]
    assert [p.name for p in items.items()] == ["1.png", "2.png", "3.png", "4.png", "5.png"]
    (tmp_path / "dog" / "5.png").write_bytes(png(6))
    assert read_items(tmp_path).fingerprint != items.fingerprint


def test_without_identities_everything_is_for_fitting(tmp_path):
    pq.write_table(text_table().drop_columns(["identity"]), tmp_path / "texts.parquet")
    items = read_items(tmp_path / "texts.parquet")
    assert items.identities is None and set(items.split) == {"train"}
    with pytest.raises(UserInputError, match="has no 'identity' column; training a head needs one"):
        items.require_identities("training a head")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.append_column("image", pa.array([b""] * t.num_rows)), "both 'text' and 'image'"),
        (lambda t: t.drop_columns(["text"]), "neither 'text' nor 'image'"),
        (lambda t: t.drop_columns(["id"]), "missing column 'id'"),
        (lambda t: t.set_column(2, "text", pa.array(range(t.num_rows))), "column 'text' has type int64"),
        (lambda t: t.set_column(0, "id", pa.array(["x"] * t.num_rows)), "column 'id' repeats 'x'"),
        (lambda t: t.set_column(1, "identity", pa.array([None] * t.num_rows, pa.int64())), "whole numbers"),
        (lambda t: t.slice(0, 0), "no rows"),
    ],
)
def test_a_malformed_file_is_one_line(tmp_path, change, message):
    pq.write_table(change(text_table()), tmp_path / "bad.parquet")
    with pytest.raises(UserInputError, match=message) as error:
        read_items(tmp_path / "bad.parquet")
    assert "\n" not in str(error.value)


def test_an_empty_folder_is_one_line(tmp_path):
    with pytest.raises(UserInputError, match="no images in <identity>/<file> folders"):
        read_items(tmp_path)


@pytest.mark.s3
def test_a_file_in_s3_reads_as_a_local_one(tmp_path, s3_bucket):
    pq.write_table(text_table(), tmp_path / "texts.parquet")
    open_store(f"s3://{s3_bucket}/datasets").write("texts.parquet", (tmp_path / "texts.parquet").read_bytes())
    items = read_items(f"s3://{s3_bucket}/datasets/texts.parquet")
    assert items.fingerprint == read_items(tmp_path / "texts.parquet").fingerprint
    assert list(items.items(np.array([39]))) == ["sentence 39"]
