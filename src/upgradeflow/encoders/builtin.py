"""The project's own CNN as an encoder: any image, scaled to its grey 32x32 input."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from upgradeflow.encoders.base import Encoder, fingerprint
from upgradeflow.encoders.images import image_batch
from upgradeflow.models.checkpoint import load_model
from upgradeflow.models.embedder import EmbeddingModel


class BuiltinEncoder(Encoder):
    kind = "builtin"
    modality = "image"

    def __init__(self, checkpoint: str | Path, model: EmbeddingModel | None = None) -> None:
        path = Path(checkpoint).with_suffix(".pt")
        self.model = model if model is not None else load_model(path)
        config = self.model.config
        self.dimension = config.embedding_dim
        self.source = str(path)
        self.preprocessing = {
            "channels": config.in_channels,
            "size": config.image_size,
            "resize": "bilinear",
            "scale": "pixel / 255",
        }
        self.files = [path, path.with_suffix(".json")]
        self.fingerprint = fingerprint(self.files, path.parent, self.preprocessing)

    def _embed(self, items: Sequence) -> np.ndarray:
        config = self.model.config
        with torch.inference_mode():
            return self.model(image_batch(items, config.image_size, config.in_channels) / 255.0).numpy()
