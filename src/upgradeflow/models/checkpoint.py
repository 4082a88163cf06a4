"""Checkpoints as a plain ``state_dict`` plus a JSON config.

Loading needs neither pickled classes nor the training code: the JSON names the
architecture and ``torch.load(weights_only=True)`` reads the tensors.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import torch
from torch import nn

from upgradeflow.atomic import atomic_path, write_text_atomic
from upgradeflow.errors import UserInputError, one_line
from upgradeflow.models.config import ModelConfig
from upgradeflow.models.embedder import EmbeddingModel

FORMAT = "upgradeflow.embedding_model/1"


def save_model(model: EmbeddingModel, path: str | Path, metadata: dict | None = None) -> Path:
    """Write ``path`` (.pt weights) and ``path`` with suffix .json (config + metadata)."""
    path = Path(path).with_suffix(".pt")
    with atomic_path(path) as tmp:
        torch.save(model.state_dict(), tmp)
    document = {
        "format": FORMAT,
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
    try:
        document = json.loads(config_path.read_text())
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError(f"{config_path.name}: format {config_format(document)}")
        model = EmbeddingModel(ModelConfig.from_dict(document["config"]))
        load_weights(model, path, device)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise UserInputError(f"{path}: not a model checkpoint ({one_line(error)})") from None
    return model.to(device).eval()


def load_weights(module: nn.Module, path: Path, device: str = "cpu") -> None:
    """Read ``path``'s tensors into ``module``; a ValueError in one line when the file is
    not a ``state_dict`` or its tensors do not fit the module."""
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except EOFError:
        raise ValueError(f"{path.name} is empty or truncated") from None
    except pickle.UnpicklingError:  # torch's message is a paragraph about weights_only
        raise ValueError(f"{path.name} is not a PyTorch file of tensors") from None
    except (RuntimeError, OSError) as error:
        raise ValueError(f"{path.name} is unreadable: {one_line(error)}") from None
    if not isinstance(state, dict):
        raise ValueError(f"weights hold a {type(state).__name__}, not a state_dict")
    try:
        module.load_state_dict(state)
    except RuntimeError as error:  # one line per missing, unexpected or mis-shaped tensor
        problems = [line.strip() for line in str(error).splitlines()[1:] if line.strip()]
        more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
        raise ValueError(f"weights do not fit the config: {(problems or [one_line(error)])[0]}{more}") from None


def config_format(document) -> str:
    """What a config file claims to be, for an error message."""
    if isinstance(document, dict):
        return repr(document.get("format"))
    return f"missing (it holds a JSON {type(document).__name__})"
