"""Fashion-MNIST from the Debian package ``dataset-fashion-mnist``.

Ten classes are too few for an open-set split, so it is a closed-set sanity set: the
training file trains, the test file's images are split into queries and gallery.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from upgradeflow.data.image_set import ImageSet
from upgradeflow.errors import UserInputError

DEFAULT_DIR = Path("/usr/share/datasets/fashion-mnist")


def _read_idx(path: Path, magic: int) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise UserInputError(f"{path}: not an IDX file (magic {found:#x})")
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(magic & 0xFF)]
    offset = 4 + 4 * len(dims)
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


def read_fashion_mnist(directory: str | Path = DEFAULT_DIR, *, queries_per_class: int = 100, seed: int = 0) -> ImageSet:
    directory = Path(directory)
    if not (directory / "train-images-idx3-ubyte.gz").exists():
        raise UserInputError(
            f"{directory}: Fashion-MNIST not found (install with: apt-get install dataset-fashion-mnist)"
        )
    parts = []
    for prefix, split in (("train", "train"), ("t10k", "test")):
        images = _read_idx(directory / f"{prefix}-images-idx3-ubyte.gz", 0x0803)
        labels = _read_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", 0x0801).astype(np.int64)
        parts.append((prefix, split, images, labels))

    rng = np.random.default_rng(seed)
    images = np.concatenate([p[2] for p in parts])
    identities = np.concatenate([p[3] for p in parts])
    ids = np.concatenate([[f"{p[0]}/{i}" for i in range(len(p[3]))] for p in parts]).astype(str)
    split = np.concatenate([np.full(len(p[3]), p[1]) for p in parts]).astype(str)
    role = np.where(split == "train", "train", "gallery").astype("<U7")
    test_rows = np.flatnonzero(split == "test")
    for label in np.unique(identities):
        rows = test_rows[identities[test_rows] == label]
        role[rng.choice(rows, size=min(queries_per_class, len(rows)), replace=False)] = "query"
    return ImageSet(images, identities, ids, split, role)
