"""Lightweight adapters between embedding spaces (gallery evolution, online backfill).

An adapter sees only embeddings, never raw items or a backbone, which is what makes
evolving a billion-row gallery cheap. Saved like a model checkpoint: a ``state_dict``
(.pt) and its JSON config, so loading needs no pickled classes.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from upgradeflow.atomic import atomic_path, write_text_atomic
from upgradeflow.errors import UserInputError, one_line
from upgradeflow.models.checkpoint import config_format, load_weights

FORMAT = "upgradeflow.adapter/1"


@dataclass(frozen=True)
class AdapterConfig:
    in_dim: int = 128
    hidden_dim: int = 256
    out_dim: int = 128
    depth: int = 2  # linear layers; 1 is an affine map
    residual: bool = False  # add a linear skip (identity when the dimensions agree)
    affine_skip: bool = False  # the skip is an affine map even between equal dimensions (a closed form)

    @property
    def embedding_dim(self) -> int:
        """What it outputs: the served dimension when the adapter is a compatible head."""
        return self.out_dim

    def __post_init__(self) -> None:
        if min(self.in_dim, self.hidden_dim, self.out_dim, self.depth) < 1:
            raise UserInputError(f"adapter sizes must be positive, got {self}")
        if self.affine_skip and not self.residual:
            raise UserInputError(f"an affine skip needs a residual adapter, got {self}")


class MLPAdapter(nn.Module):
    """``depth`` linear layers with ReLU between them; outputs are L2-normalised.

    The residual form learns a correction on top of a linear map, so a small module
    starts close to the best linear alignment and spends its capacity on what is not
    linear.
    """

    def __init__(self, config: AdapterConfig):
        super().__init__()
        self.config = config
        widths = [config.in_dim] + [config.hidden_dim] * (config.depth - 1) + [config.out_dim]
        layers: list[nn.Module] = []
        for i, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
            if i:
                layers.append(nn.ReLU())
            layers.append(nn.Linear(fan_in, fan_out))
        self.net = nn.Sequential(*layers)
        self.skip: nn.Module | None = None
        if config.affine_skip and config.residual:
            self.skip = nn.Linear(config.in_dim, config.out_dim)
        elif config.residual:
            same = config.in_dim == config.out_dim
            self.skip = nn.Identity() if same else nn.Linear(config.in_dim, config.out_dim, bias=False)

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        out = self.net(embeddings)
        if self.skip is not None:
            out = out + self.skip(embeddings)
        return functional.normalize(out, dim=-1)


def apply_adapter(adapter: MLPAdapter, features: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """The adapter over a feature matrix, in chunks, as float32."""
    out = np.empty((len(features), adapter.config.out_dim), dtype=np.float32)
    adapter.eval()
    with torch.inference_mode():
        for start in range(0, len(features), chunk):
            part = torch.from_numpy(np.ascontiguousarray(features[start : start + chunk], dtype=np.float32))
            out[start : start + chunk] = adapter(part).numpy()
    return out


def save_adapter(adapter: MLPAdapter, path: str | Path, metadata: dict | None = None) -> Path:
    """Write ``path`` (.pt weights) and its .json config; returns the .pt path."""
    path = Path(path).with_suffix(".pt")
    with atomic_path(path) as tmp:
        torch.save(adapter.state_dict(), tmp)
    document = {"format": FORMAT, "config": asdict(adapter.config), "metadata": metadata or {}}
    write_text_atomic(path.with_suffix(".json"), json.dumps(document, indent=2, sort_keys=True) + "\n")
    return path


def adapter_digest(path: str | Path) -> str:
    """sha256 over weights and config: names the transform in manifests."""
    path = Path(path).with_suffix(".pt")
    digest = hashlib.sha256(path.read_bytes())
    digest.update(path.with_suffix(".json").read_bytes())
    return digest.hexdigest()


def load_adapter(path: str | Path) -> MLPAdapter:
    path = Path(path).with_suffix(".pt")
    config_path = path.with_suffix(".json")
    if not path.is_file() or not config_path.is_file():
        raise UserInputError(f"{path}: an adapter needs both {path.name} and {config_path.name}")
    try:
        document = json.loads(config_path.read_text())
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError(f"{config_path.name}: format {config_format(document)}")
        adapter = MLPAdapter(AdapterConfig(**document["config"]))
        load_weights(adapter, path)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise UserInputError(f"{path}: not an upgradeflow adapter ({one_line(error)})") from None
    return adapter.eval()
