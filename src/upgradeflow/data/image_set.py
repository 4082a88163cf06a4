"""An in-memory labelled image collection with its open-set split and retrieval roles."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPLITS = ("train", "test")
ROLES = ("train", "query", "gallery")


@dataclass(frozen=True)
class ImageSet:
    """Grayscale images with identities.

    ``split`` says whether an identity is used for training or held out (open set, as
    in landmark and face retrieval); ``role`` says how a held-out image is used in
    evaluation: as a query or as a gallery item.
    """

    images: np.ndarray  # uint8 [N, H, W]
    identities: np.ndarray  # int64 [N]
    ids: np.ndarray  # str [N]
    split: np.ndarray  # str [N]
    role: np.ndarray  # str [N]

    def __post_init__(self) -> None:
        n = len(self.images)
        if self.images.ndim != 3 or self.images.dtype != np.uint8:
            raise ValueError(f"images must be uint8 [N, H, W], got {self.images.dtype} {self.images.shape}")
        for name in ("identities", "ids", "split", "role"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} rows, images have {n}")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def image_size(self) -> int:
        return int(self.images.shape[1])

    def select(self, mask: np.ndarray) -> ImageSet:
        return ImageSet(
            images=self.images[mask],
            identities=self.identities[mask],
            ids=self.ids[mask],
            split=self.split[mask],
            role=self.role[mask],
        )

    def by_role(self, role: str) -> ImageSet:
        return self.select(self.role == role)

    def with_identities(self, identities: np.ndarray) -> ImageSet:
        return self.select(np.isin(self.identities, identities))

    def unique_identities(self) -> np.ndarray:
        return np.unique(self.identities)
