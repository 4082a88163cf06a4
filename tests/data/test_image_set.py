"""An image set's rows stay aligned: every selection keeps each image with its
identity, id, split and role."""

import numpy as np
import pytest

from upgradeflow.data.image_set import ImageSet


def image_set(rows: int = 6) -> ImageSet:
    return ImageSet(
        images=np.arange(rows * 4, dtype=np.uint8).reshape(rows, 2, 2),
        identities=np.array([7, 7, 8, 8, 9, 9][:rows], dtype=np.int64),
        ids=np.array([f"i{n}" for n in range(rows)]),
        split=np.array(["train", "train", "test", "test", "test", "test"][:rows]),
        role=np.array(["train", "train", "query", "gallery", "query", "gallery"][:rows]),
    )


def test_selections_keep_rows_aligned():
    data = image_set()
    queries = data.by_role("query")
    assert queries.ids.tolist() == ["i2", "i4"] and queries.identities.tolist() == [8, 9]
    np.testing.assert_array_equal(queries.images, data.images[[2, 4]])
    assert data.with_identities(np.array([7, 9])).ids.tolist() == ["i0", "i1", "i4", "i5"]
    assert data.unique_identities().tolist() == [7, 8, 9]
    assert (len(data), data.image_size) == (6, 2)


def test_images_must_be_uint8_grayscale():
    data = image_set()
    with pytest.raises(ValueError, match="images must be uint8 \\[N, H, W\\]"):
        ImageSet(data.images.astype(np.float32), data.identities, data.ids, data.split, data.role)
    with pytest.raises(ValueError, match="images must be uint8"):
        ImageSet(data.images[..., None], data.identities, data.ids, data.split, data.role)


def test_every_column_has_one_row_per_image():
    data = image_set()
    with pytest.raises(ValueError, match="role has 5 rows, images have 6"):
        ImageSet(data.images, data.identities, data.ids, data.split, data.role[:5])
