"""A registered model version: the embedding model and its adapters as one MLflow
pyfunc, so ``models:/NAME@champion`` loads everything a deployment needs at once.

Two kinds of version share the package: the built-in CNN (a checkpoint, ``model.pt``),
whose ``predict`` takes uint8 images [N, H, W]; and a pretrained backbone with its
compatible head (``encoder.json`` and the files it names), whose ``predict`` takes the
raw items its encoder takes, texts or encoded images. Both give unit vectors, and both
expose ``encoder``, so a step can embed raw items from either.
"""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np

from upgradeflow.encoders.base import Encoder
from upgradeflow.encoders.builtin import BuiltinEncoder
from upgradeflow.encoders.headed import DESCRIPTION, load_headed
from upgradeflow.models.adapter import MLPAdapter, load_adapter
from upgradeflow.models.checkpoint import load_model
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.models.inference import embed_images
from upgradeflow.models.switchable import width_tag

CHECKPOINTS = "checkpoints"
MODEL_FILE = "model"
FORWARD_ADAPTER_FILE = "forward_adapter"
# What a backbone of each kind needs installed where the package is loaded.
ENCODER_REQUIREMENTS = {
    "sentence-transformers": ["sentence-transformers>=3", "transformers>=4.40"],
    "onnx": ["onnxruntime>=1.17", "tokenizers"],
    "efficientnet-lite": ["efficientnet-lite-pytorch>=0.1"],
    "builtin": [],
}


def raw_items(model_input) -> list:
    """The items of a pyfunc input: a list, an array, or a DataFrame's first column (how
    MLflow hands over a column of strings)."""
    if hasattr(model_input, "iloc"):
        model_input = model_input.iloc[:, 0] if model_input.ndim == 2 else model_input
    return list(model_input)


class EmbeddingPackage(mlflow.pyfunc.PythonModel):
    """``predict``: raw items to L2-normalised embeddings [N, d]."""

    def load_context(self, context) -> None:
        directory = Path(context.artifacts[CHECKPOINTS])
        self.model: EmbeddingModel | None = None
        if (directory / DESCRIPTION).is_file():
            self.encoder: Encoder = load_headed(directory / DESCRIPTION)
        else:
            self.model = load_model(directory / MODEL_FILE)
            self.encoder = BuiltinEncoder(directory / MODEL_FILE, self.model)
        adapter = directory / f"{FORWARD_ADAPTER_FILE}.pt"
        self.forward_adapter: MLPAdapter | None = load_adapter(adapter) if adapter.exists() else None

    # An ndarray hint is what MLflow 3 asks for: no warning, and the signature still comes
    # from the input example (an ndarray hint skips MLflow's type-hint validation wrapper).
    def predict(self, context, model_input: np.ndarray, params: dict | None = None) -> np.ndarray:
        if self.model is not None:
            return embed_images(self.model, np.asarray(model_input, dtype=np.uint8))
        return self.encoder.encode(raw_items(model_input))


def width_file(width: float) -> str:
    """The checkpoint name of one SFSC sub-model width in a run's files."""
    return f"{MODEL_FILE}-{width_tag(width)}"
