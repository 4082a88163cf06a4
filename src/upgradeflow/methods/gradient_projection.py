"""Gradient projection between conflicting tasks (PCGrad, Yu et al., 2020), as SFSC
uses it for sub-models sharing weights: where g_i · g_j < 0, g_i loses its component
along g_j, so no sub-model's update undoes another's."""

from __future__ import annotations

import torch
from torch import Tensor


def project_conflicting(gradients: list[Tensor], generator: torch.Generator | None = None) -> tuple[Tensor, int]:
    """Sum of the task gradients (flat vectors), each projected off the others it
    conflicts with, and how many projections were made (zero means the step's gradients
    all agreed and projection changed nothing)."""
    total = torch.zeros_like(gradients[0])
    projections = 0
    for i, gradient in enumerate(gradients):
        projected = gradient.clone()
        others = [j for j in torch.randperm(len(gradients), generator=generator).tolist() if j != i]
        for j in others:
            dot = torch.dot(projected, gradients[j])
            if dot < 0:
                projected -= dot / gradients[j].pow(2).sum().clamp_min(1e-20) * gradients[j]
                projections += 1
        total += projected
    return total, projections
