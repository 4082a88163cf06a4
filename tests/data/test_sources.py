"""Sources: where a gallery item's raw image lives, resolved back to pixels for a backfill."""

from __future__ import annotations

import numpy as np
import pytest

from tests.backfill.helpers import SIZE, image_dataset
from upgradeflow.data.image_parquet import read_image_parquet
from upgradeflow.data.sources import SourceResolver, split_source
from upgradeflow.errors import UserInputError


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("glyphs:U+4E00/ipag", ("glyphs", "U+4E00/ipag")),
        ("parquet:/data/x.parquet:cat-1", ("parquet:/data/x.parquet", "cat-1")),
        ("folder:/photos:cat/0.png", ("folder:/photos", "cat/0.png")),
    ],
)
def test_sources_name_a_dataset_and_an_image(source, expected):
    assert split_source(source) == expected


@pytest.mark.parametrize("source", ["glyphs", "glyphs:", ":x", "parquet:x"])
def test_malformed_sources_are_refused(source):
    with pytest.raises(UserInputError, match="expected <dataset>:<image id>"):
        split_source(source)


def test_unknown_image_is_named(tmp_path):
    dataset = image_dataset(tmp_path / "images.parquet", identities=2, per_identity=2)
    with pytest.raises(UserInputError, match="no image 'nope'"):
        SourceResolver(tmp_path).images([f"parquet:{dataset}:nope"])


def test_images_come_back_in_the_order_of_their_sources(tmp_path):
    dataset = image_dataset(tmp_path / "images.parquet", identities=3, per_identity=2)
    data = read_image_parquet(dataset, image_size=SIZE, progress=False)
    wanted = [data.ids[4], data.ids[0], data.ids[4]]
    images = SourceResolver(tmp_path).images([f"parquet:{dataset}:{i}" for i in wanted])
    np.testing.assert_array_equal(images, data.images[[4, 0, 4]])
    assert SourceResolver(tmp_path).images([]).shape == (0, 0, 0)
