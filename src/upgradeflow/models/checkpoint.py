"""Checkpoints as a plain ``state_dict`` plus a JSON config.

Loading needs neither pickled classes nor the training code: the JSON names the
architecture and ``torch.load(weights_only=True)`` reads the tensors.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from upgradeflow.atomic import atomic_path, write_text_atomic
from upgradeflow.errors import UserInputError
from upgradeflow.models.config import ModelConfig
from upgradeflow.models.embedder import EmbeddingModel


def save_model(model: EmbeddingModel, path: str | Path, metadata: dict | None = None) -> Path:
    """Write ``path`` (.pt weights) and ``path`` with suffix .json (config + metadata)."""
    path = Path(path).with_suffix(".pt")
    with atomic_path(path) as tmp:
        torch.save(model.state_dict(), tmp)
    document = {
        "format": "upgradeflow.embedding_model/1",
        "config": model.config.to_dict(),
        "metadata": metadata or {},
    }
    write_text_atomic(path.with_suffix(".json"), json.dumps(document, indent=2, sort_keys=True) + "\n")
    return path


def load_model(path: str | Path, device: str = "cpu") -> EmbeddingModel:
    path = Path(path).with_suffix(".pt")
    config_path = path.with_suffix(".json")
    if not path.exists() or not config_path.exists():
        raise UserInputError(f"{path}: checkpoint needs both {path.name} and {config_path.name}")
    document = json.loads(config_path.read_text())
    model = EmbeddingModel(ModelConfig.from_dict(document["config"]))
    model.load_state_dict(torch.load(path, map_location=device, weights_only=True))
    return model.to(device).eval()
