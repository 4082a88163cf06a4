"""Batch augmentation on tensors: small random affine warps (scale, shift, rotation).

Done on the whole batch at once with ``affine_grid`` so it costs little next to the
network on CPU.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor


def random_affine(
    images: Tensor,
    generator: torch.Generator,
    scale: float = 0.1,
    shift: float = 0.08,
    degrees: float = 8.0,
) -> Tensor:
    n = images.shape[0]

    def uniform(low: float, high: float) -> Tensor:
        return torch.rand(n, generator=generator, device=images.device) * (high - low) + low

    s = uniform(1 - scale, 1 + scale)
    angle = uniform(-degrees, degrees) * math.pi / 180
    cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
    theta = torch.stack(
        [
            torch.stack([cos, -sin, uniform(-shift, shift)], 1),
            torch.stack([sin, cos, uniform(-shift, shift)], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, align_corners=False, padding_mode="zeros")
