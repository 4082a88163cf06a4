"""Selective backward compatibility (DMU, Zhang et al., AAAI 2023): the weighted
compatibility loss. Each sample's weight, the old model's confidence in its identity,
comes from ``upgradeflow.discriminativeness``, which the backfill's worst-first order
shares without importing training code."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def weighted_mean(values: Tensor, weights: Tensor) -> Tensor:
    """Σ w l / Σ w, the selective loss; zero weights everywhere give zero."""
    return (weights * values).sum() / weights.sum().clamp_min(1e-8)


def new_to_old_contrastive(
    new_embeddings: Tensor, old_embeddings: Tensor, targets: Tensor, temperature: float = 0.05
) -> Tensor:
    """Per-sample InfoNCE: a new feature's positive is the old feature of its own image;
    negatives are the old features of other identities in the batch."""
    logits = F.normalize(new_embeddings, dim=1) @ F.normalize(old_embeddings, dim=1).T / temperature
    same_identity = targets[:, None] == targets[None, :]
    own = torch.eye(len(targets), dtype=torch.bool, device=targets.device)
    logits = logits.masked_fill(same_identity & ~own, float("-inf"))
    return F.cross_entropy(logits, torch.arange(len(targets), device=targets.device), reduction="none")
