"""Embedding images with a trained model, on the CPU or CUDA: what evaluation, the
registry's model package, the backfill and the query service need, kept apart from the
training loop so that none of them imports training code."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn


def resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def to_input(images: np.ndarray | Tensor, device: str) -> Tensor:
    """uint8 [N, H, W] to float [N, 1, H, W] in [0, 1]."""
    tensor = torch.as_tensor(images).to(device, non_blocking=True)
    return tensor.unsqueeze(1).float().div_(255.0)


@torch.no_grad()
def embed_images(model: nn.Module, images: np.ndarray, batch_size: int = 1024, device: str = "auto") -> np.ndarray:
    device = resolve_device(device)
    model = model.to(device).eval()
    out = [model(to_input(images[i : i + batch_size], device)).float().cpu() for i in range(0, len(images), batch_size)]
    return torch.cat(out).numpy().astype(np.float32)
