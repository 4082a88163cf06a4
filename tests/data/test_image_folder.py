"""An image-folder tree, one folder per identity."""

import numpy as np
import pytest

from tests.data.helpers import png
from upgradeflow.data.image_folder import read_image_folder
from upgradeflow.errors import UserInputError


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


def test_files_that_are_not_images_are_skipped_and_broken_images_named(tmp_path):
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "0.png").write_bytes(png(5))
    (tmp_path / "cat" / "notes.txt").write_text("not an image, and not named like one\n")
    assert read_image_folder(tmp_path).ids.tolist() == ["cat/0.png"]
    (tmp_path / "cat" / "1.jpg").write_bytes(b"truncated")
    with pytest.raises(UserInputError, match=r"cat/1\.jpg: not a decodable image"):
        read_image_folder(tmp_path)
    with pytest.raises(UserInputError, match="not a directory"):
        read_image_folder(tmp_path / "absent")
