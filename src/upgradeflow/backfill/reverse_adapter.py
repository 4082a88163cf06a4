"""The reverse adapter rho (new space to old space), learned with both models frozen.

During a backfill the part of the gallery not yet re-extracted still holds old
features; rho(φ_n(q)) lets the new model's query search it, so each query runs one model.
Fitted to land on the old features alone, rho's similarities live on another scale than
the new model's, and merging the two result lists by similarity puts old items in the
wrong places. The metric-compatible loss (Seo et al., WACV 2025) fixes this: one
supervised contrastive softmax over candidates from both spaces, new features scored
with φ_n(q) and old features with rho(φ_n(q)), so a positive from either part must beat
a negative from either part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from upgradeflow.errors import UserInputError, check_choice
from upgradeflow.methods.forward_adapter import small_set_batch
from upgradeflow.models.adapter import AdapterConfig, MLPAdapter

REVERSE_LOSSES = ("cosine", "metric")


@dataclass(frozen=True)
class ReverseConfig:
    loss: str = "metric"  # "cosine": regression onto the old feature only
    temperature: float = 0.05
    regression_weight: float = 1.0  # keeps rho(φ_n(x)) on φ_o(x) under the metric loss
    orthogonality: float = 0.0  # > 0: rho is one linear map, penalised towards orthonormal rows
    hidden_dim: int = 256
    epochs: int = 20
    batch_size: int = 1024
    learning_rate: float = 2e-3
    seed: int = 0

    def __post_init__(self) -> None:
        check_choice("reverse loss", self.loss, REVERSE_LOSSES)
        if self.temperature <= 0 or min(self.regression_weight, self.orthogonality) < 0:
            raise UserInputError("reverse adapter: temperature must be positive and weights not negative")

    def adapter_config(self, new_dim: int, old_dim: int) -> AdapterConfig:
        if self.orthogonality > 0:
            return AdapterConfig(in_dim=new_dim, hidden_dim=old_dim, out_dim=old_dim, depth=1)
        return AdapterConfig(in_dim=new_dim, hidden_dim=self.hidden_dim, out_dim=old_dim, residual=True)


def metric_compatible_loss(
    new_queries: Tensor, reversed_queries: Tensor, old_features: Tensor, identities: Tensor, temperature: float
) -> Tensor:
    """Supervised contrastive loss over a candidate set from both spaces.

    Row i's candidates: the other new features (scored with φ_n(x_i), constant for rho)
    and every old feature (scored with rho(φ_n(x_i))); positives share x_i's identity,
    including its own old feature.
    """
    new_logits = new_queries @ new_queries.T / temperature
    old_logits = reversed_queries @ old_features.T / temperature
    own = torch.eye(len(identities), dtype=torch.bool, device=identities.device)
    new_logits = new_logits.masked_fill(own, float("-inf"))
    same = identities[:, None] == identities[None, :]
    logits = torch.cat([new_logits, old_logits], dim=1)
    positives = torch.cat([same & ~own, same], dim=1)
    log_p = torch.log_softmax(logits, dim=1)
    return -(log_p.masked_fill(~positives, 0).sum(1) / positives.sum(1)).mean()


def orthogonality_penalty(adapter: MLPAdapter) -> Tensor:
    """||W Wᵀ - I||², W the linear map (old_dim x new_dim): keeps the old space's geometry."""
    weight = adapter.net[0].weight
    gram = weight @ weight.T
    return (gram - torch.eye(len(gram))).pow(2).sum()


def fit_reverse_adapter(
    new_features: np.ndarray, old_features: np.ndarray, identities: np.ndarray, config: ReverseConfig = ReverseConfig()
) -> MLPAdapter:
    """Fit rho on paired training features (row i: φ_n(x_i), φ_o(x_i), identity of x_i)."""
    if not len(new_features) == len(old_features) == len(identities):
        raise UserInputError("new features, old features and identities must be paired row by row")
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    new_t = F.normalize(torch.from_numpy(np.ascontiguousarray(new_features, dtype=np.float32)), dim=1)
    old_t = F.normalize(torch.from_numpy(np.ascontiguousarray(old_features, dtype=np.float32)), dim=1)
    _, labels = np.unique(identities, return_inverse=True)
    labels_t = torch.from_numpy(labels).long()
    adapter = MLPAdapter(config.adapter_config(new_t.shape[1], old_t.shape[1])).train()
    if config.orthogonality > 0:
        torch.nn.init.orthogonal_(adapter.net[0].weight)  # start on the constraint, not far from it
    optimizer = torch.optim.AdamW(adapter.parameters(), lr=config.learning_rate, weight_decay=1e-4)
    batch_size = small_set_batch(len(new_t), config.batch_size)
    steps = max(1, len(new_t) // batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs * steps)
    for _ in range(config.epochs):
        order = torch.randperm(len(new_t), generator=generator)
        for step in range(steps):
            rows = order[step * batch_size : (step + 1) * batch_size]
            reversed_queries = adapter(new_t[rows])
            loss = config.regression_weight * (1 - (reversed_queries * old_t[rows]).sum(1)).mean()
            if config.loss == "metric":
                loss = loss + metric_compatible_loss(
                    new_t[rows], reversed_queries, old_t[rows], labels_t[rows], config.temperature
                )
            if config.orthogonality > 0:
                loss = loss + config.orthogonality * orthogonality_penalty(adapter)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    return adapter.eval()
