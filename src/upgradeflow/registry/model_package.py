"""A registered model version: the embedding model and its adapters as one MLflow
pyfunc, so ``models:/NAME@champion`` loads everything a deployment needs at once."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np

from upgradeflow.models.adapter import MLPAdapter, load_adapter
from upgradeflow.models.checkpoint import load_model
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.models.inference import embed_images
from upgradeflow.models.switchable import width_tag

CHECKPOINTS = "checkpoints"
MODEL_FILE = "model"
FORWARD_ADAPTER_FILE = "forward_adapter"


class EmbeddingPackage(mlflow.pyfunc.PythonModel):
    """``predict``: uint8 images [N, H, W] to L2-normalised embeddings [N, d]."""

    def load_context(self, context) -> None:
        directory = Path(context.artifacts[CHECKPOINTS])
        self.model: EmbeddingModel = load_model(directory / MODEL_FILE)
        adapter = directory / f"{FORWARD_ADAPTER_FILE}.pt"
        self.forward_adapter: MLPAdapter | None = load_adapter(adapter) if adapter.exists() else None

    # An ndarray hint is what MLflow 3 asks for: no warning, and the signature still comes
    # from the input example (an ndarray hint skips MLflow's type-hint validation wrapper).
    def predict(self, context, model_input: np.ndarray, params: dict | None = None) -> np.ndarray:
        return embed_images(self.model, np.asarray(model_input, dtype=np.uint8))


def width_file(width: float) -> str:
    """The checkpoint name of one SFSC sub-model width in a run's files."""
    return f"{MODEL_FILE}-{width_tag(width)}"
