"""Where a gallery item's raw image lives: the ``source`` column of an embedding table.

A source is ``<dataset>:<image id>`` with the dataset named as ``load_dataset`` takes it
(``glyphs:U+4E00/ipag``, ``parquet:/data/photos.parquet:cat-17``), which is what
``bootstrap`` writes. Re-extraction (backfill) resolves sources back to images; each
dataset is loaded once per resolver, however many batches ask for it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from upgradeflow.data.image_set import ImageSet
from upgradeflow.data.registry import load_dataset
from upgradeflow.errors import UserInputError

PATH_DATASETS = ("parquet:", "folder:")  # their names hold a path, so the id follows the last ':'


def split_source(source: str) -> tuple[str, str]:
    """``(dataset, image id)`` of one source."""
    if source.startswith(PATH_DATASETS):
        dataset, sep, image_id = source.rpartition(":")
        dataset_ok = dataset not in {"parquet", "folder"}
    else:
        dataset, sep, image_id = source.partition(":")
        dataset_ok = bool(dataset)
    if not (sep and dataset_ok and image_id):
        raise UserInputError(f"source {source!r}: expected <dataset>:<image id>, e.g. glyphs:U+4E00/ipag")
    return dataset, image_id


class SourceResolver:
    """Images by source, from datasets under ``data_dir`` (loaded on first use)."""

    def __init__(self, data_dir: str | Path, *, progress: bool = False) -> None:
        self.data_dir = Path(data_dir)
        self.progress = progress
        self._datasets: dict[str, tuple[ImageSet, dict[str, int]]] = {}

    def _dataset(self, name: str) -> tuple[ImageSet, dict[str, int]]:
        if name not in self._datasets:
            data = load_dataset(name, self.data_dir, progress=self.progress)
            self._datasets[name] = (data, {str(image_id): row for row, image_id in enumerate(data.ids)})
        return self._datasets[name]

    def images(self, sources: list[str]) -> np.ndarray:
        """uint8 images [N, H, W] in the order of ``sources``; one size for the batch."""
        rows: list[np.ndarray] = []
        for source in sources:
            dataset, image_id = split_source(source)
            data, row_of = self._dataset(dataset)
            row = row_of.get(image_id)
            if row is None:
                raise UserInputError(f"source {source!r}: no image '{image_id}' in dataset {dataset}")
            rows.append(data.images[row])
        if not rows:
            return np.zeros((0, 0, 0), dtype=np.uint8)
        sizes = {image.shape for image in rows}
        if len(sizes) != 1:
            raise UserInputError(f"sources resolve to images of different sizes {sorted(sizes)}")
        return np.stack(rows)
