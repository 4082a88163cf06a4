"""Fashion-MNIST read from its IDX files: the Debian package's when installed, and
small files in the same format everywhere."""

import gzip
from pathlib import Path

import numpy as np
import pytest

from upgradeflow.data.fashion_mnist import DEFAULT_DIR, read_fashion_mnist
from upgradeflow.errors import UserInputError


def write_idx(path: Path, array: np.ndarray, magic: int) -> None:
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def small_copy(directory: Path, classes: int = 3, per_class: int = 4) -> Path:
    """Train and test files of ``classes`` x ``per_class`` 5x5 images, each image's
    pixels equal to its position in its file."""
    labels = np.repeat(np.arange(classes), per_class)
    for prefix in ("train", "t10k"):
        images = np.broadcast_to(np.arange(len(labels))[:, None, None], (len(labels), 5, 5))
        write_idx(directory / f"{prefix}-images-idx3-ubyte.gz", images, 0x0803)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", labels, 0x0801)
    return directory


def test_train_file_trains_and_test_file_splits_into_queries_and_gallery(tmp_path):
    data = read_fashion_mnist(small_copy(tmp_path), queries_per_class=1, seed=3)
    assert data.images.shape == (24, 5, 5) and data.images[13, 0, 0] == 1  # t10k/1
    assert data.ids[12] == "t10k/0" and (data.split == "train").sum() == 12
    assert set(data.role[:12]) == {"train"}
    test_roles, test_labels = data.role[12:], data.identities[12:]
    assert sorted(test_labels[test_roles == "query"].tolist()) == [0, 1, 2]  # one query per class
    assert (test_roles == "gallery").sum() == 9


def test_a_file_with_another_magic_number_is_refused(tmp_path):
    small_copy(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros((2, 2)), 0x0802)
    with pytest.raises(UserInputError, match=r"t10k-labels-idx1-ubyte\.gz: not an IDX file \(magic 0x802\)"):
        read_fashion_mnist(tmp_path)


def test_a_missing_dataset_names_the_package_to_install(tmp_path):
    with pytest.raises(UserInputError, match="apt-get install dataset-fashion-mnist"):
        read_fashion_mnist(tmp_path)


@pytest.mark.skipif(not Path(DEFAULT_DIR).exists(), reason="dataset-fashion-mnist not installed")
def test_fashion_mnist_from_the_debian_package():
    data = read_fashion_mnist()
    assert data.images.shape == (70000, 28, 28)
    assert set(np.unique(data.identities)) == set(range(10))
    assert (data.role == "query").sum() == 1000 and (data.split == "train").sum() == 60000
