"""A learned map that starts exactly at a closed form and learns only what it misses.

The closed form stays as a frozen affine skip; a small MLP whose last layer starts at
zero adds a correction, so step 0 *is* the closed form and training can only move away
from it when the held-out retrieval says so (the best step is kept). Its loss adds what
least squares cannot see: a discriminative term over the batch's identities, or, for the
reverse map of an online backfill, the metric-compatible loss that puts both spaces'
similarities on one scale (Seo et al., WACV 2025).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from upgradeflow.adapters.closed_form import AffineMap
from upgradeflow.adapters.heldout import Scorer, retrieval_key
from upgradeflow.backfill.reverse_adapter import metric_compatible_loss
from upgradeflow.errors import check_choice
from upgradeflow.models.adapter import AdapterConfig, MLPAdapter, apply_adapter

RESIDUAL_LOSSES = ("cosine", "metric")


@dataclass(frozen=True)
class ResidualConfig:
    loss: str = "cosine"  # "metric": the metric-compatible loss (reverse maps: source is the new space)
    regression_weight: float = 1.0  # the cosine pull of each mapped row onto its own target
    contrastive_weight: float = 0.1  # the discriminative term of the cosine loss, where identities repeat
    temperature: float = 0.05
    hidden_dim: int = 256
    max_steps: int = 800
    max_epochs: int = 50  # a small set is passed over this many times at most
    check_every: int = 100
    patience: int = 2  # checks without a better held-out score before stopping
    batch_size: int = 256
    learning_rate: float = 1e-3
    seed: int = 0

    def __post_init__(self) -> None:
        check_choice("residual loss", self.loss, RESIDUAL_LOSSES)


def _supervised_contrastive(mapped: Tensor, target: Tensor, labels: Tensor, temperature: float) -> Tensor:
    """Each mapped row must score its identity's target rows above the batch's others."""
    logits = F.normalize(mapped, dim=1) @ target.T / temperature
    positives = labels[:, None] == labels[None, :]
    log_p = torch.log_softmax(logits, dim=1)
    return -(log_p.masked_fill(~positives, 0).sum(1) / positives.sum(1)).mean()


def _adapter(start: AffineMap, net: nn.Sequential) -> MLPAdapter:
    """The MLPAdapter holding ``start`` as its skip and ``net`` as its correction."""
    in_dim, out_dim = start.weight.shape
    config = AdapterConfig(in_dim, net[0].out_features, out_dim, depth=2, residual=True, affine_skip=True)
    adapter = MLPAdapter(config)
    with torch.no_grad():
        adapter.skip.weight.copy_(torch.from_numpy(start.weight.T.copy()))
        adapter.skip.bias.copy_(torch.from_numpy(start.bias.copy()))
    adapter.net.load_state_dict(net.state_dict())
    return adapter.eval()


def as_map(adapter: MLPAdapter) -> Callable[[np.ndarray], np.ndarray]:
    return lambda rows: apply_adapter(adapter, rows)


def fit_residual(
    source: np.ndarray,
    target: np.ndarray,
    identities: np.ndarray,
    start: AffineMap,
    score: Scorer,
    config: ResidualConfig = ResidualConfig(),
    steps: int | None = None,
) -> tuple[MLPAdapter, dict]:
    """Train the correction on (source, target) rows; keep the step whose held-out
    ``score`` is best (step 0, the closed form itself, included). With ``steps`` given,
    train exactly that many and skip the checks (a refit on every row)."""
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    x = torch.from_numpy(np.ascontiguousarray(source, dtype=np.float32))
    y = torch.from_numpy(np.ascontiguousarray(target, dtype=np.float32))
    base = torch.from_numpy(x.numpy() @ start.weight + start.bias)  # the frozen skip, computed once
    _, labels_np = np.unique(identities, return_inverse=True)
    labels = torch.from_numpy(labels_np).long()
    repeats = bool((np.bincount(labels_np) > 1).any())
    net = nn.Sequential(nn.Linear(x.shape[1], config.hidden_dim), nn.ReLU(), nn.Linear(config.hidden_dim, y.shape[1]))
    nn.init.zeros_(net[2].weight)
    nn.init.zeros_(net[2].bias)
    optimiser = torch.optim.AdamW(net.parameters(), lr=config.learning_rate, weight_decay=1e-4)
    batch = min(config.batch_size, len(x))
    total = steps if steps is not None else min(config.max_steps, -(-config.max_epochs * len(x) // batch))
    check_every = max(1, min(config.check_every, total // 8))
    best_state, best_step = copy.deepcopy(net.state_dict()), 0
    best = None if steps is not None else score(as_map(_adapter(start, net)))
    checks: list[dict] = [] if best is None else [{"step": 0, **best}]
    stale, step, order, cursor = 0, 0, torch.randperm(len(x), generator=generator), 0
    while step < total:
        if cursor + batch > len(x):
            order, cursor = torch.randperm(len(x), generator=generator), 0
        rows = order[cursor : cursor + batch]
        cursor += batch
        mapped = base[rows] + net(x[rows])
        out = F.normalize(mapped, dim=1)
        loss = config.regression_weight * (1 - (out * y[rows]).sum(1)).mean()
        if config.loss == "metric":
            loss = loss + metric_compatible_loss(x[rows], out, y[rows], labels[rows], config.temperature)
        elif repeats and config.contrastive_weight > 0:
            loss = loss + config.contrastive_weight * _supervised_contrastive(
                mapped, y[rows], labels[rows], config.temperature
            )
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        step += 1
        if best is None or step % check_every:
            continue
        current = score(as_map(_adapter(start, net)))
        checks.append({"step": step, **current})
        if retrieval_key(current) > retrieval_key(best):
            best, best_state, best_step, stale = current, copy.deepcopy(net.state_dict()), step, 0
        else:
            stale += 1
            if stale >= config.patience:
                break
    if best is not None:
        net.load_state_dict(best_state)
    trace = {"steps_run": step, "best_step": best_step if best is not None else step, "checks": checks}
    return _adapter(start, net), trace
