"""The forward adapter ψ (old space to new space), fitted after the new model.

ψ is trained to reproduce the new model's own embeddings of the same training images
(cosine regression), not through the new classifier: matching the features is what
makes an evolved gallery searchable by new-model queries.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from upgradeflow.models.adapter import AdapterConfig, MLPAdapter


def small_set_batch(rows: int, batch_size: int, batches_per_epoch: int = 8) -> int:
    """A batch small enough for ``batches_per_epoch`` steps per epoch on a small pairs
    set: a few thousand pairs in batches of 512 would train for a handful of steps."""
    return max(1, min(batch_size, rows // batches_per_epoch))


def fit_forward_adapter(
    old_embeddings: np.ndarray,
    new_embeddings: np.ndarray,
    config: AdapterConfig,
    *,
    epochs: int = 30,
    batch_size: int = 512,
    learning_rate: float = 2e-3,
    seed: int = 0,
    initial: MLPAdapter | None = None,
    row_weights: np.ndarray | None = None,
) -> tuple[MLPAdapter, float]:
    """Fit ψ on paired embeddings; returns the adapter and its final mean cosine distance.

    ``initial`` continues training an existing ψ (DMU's joint adapter, refined on the
    finished new model); ``row_weights`` weight each pair's loss (DMU's extra weight on
    poor old features)."""
    if old_embeddings.shape[0] != new_embeddings.shape[0]:
        raise ValueError("old and new embeddings must be paired row by row")
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    adapter = (initial if initial is not None else MLPAdapter(config)).train()
    weights = torch.ones(len(old_embeddings)) if row_weights is None else torch.as_tensor(row_weights).float()
    optimizer = torch.optim.AdamW(adapter.parameters(), lr=learning_rate, weight_decay=1e-4)
    old_t = torch.from_numpy(np.ascontiguousarray(old_embeddings, dtype=np.float32))
    new_t = torch.from_numpy(np.ascontiguousarray(new_embeddings, dtype=np.float32))
    batch_size = small_set_batch(len(old_t), batch_size)
    steps = max(1, len(old_t) // batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps)
    for _ in range(epochs):
        order = torch.randperm(len(old_t), generator=generator)
        for step in range(steps):
            rows = order[step * batch_size : (step + 1) * batch_size]
            distance = 1 - F.cosine_similarity(adapter(old_t[rows]), new_t[rows])
            loss = (weights[rows] * distance).sum() / weights[rows].sum()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    return adapter.eval(), mean_distance(adapter, old_embeddings, new_embeddings)


def mean_distance(adapter: MLPAdapter, old_embeddings: np.ndarray, new_embeddings: np.ndarray) -> float:
    """Mean cosine distance of ψ(old) to new over paired rows: how far the evolved
    features land from the ones the new model would have extracted."""
    with torch.inference_mode():
        evolved = adapter.eval()(torch.from_numpy(np.ascontiguousarray(old_embeddings, dtype=np.float32)))
        target = torch.from_numpy(np.ascontiguousarray(new_embeddings, dtype=np.float32))
        return float((1 - F.cosine_similarity(evolved, target)).mean())
