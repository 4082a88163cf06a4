"""How well the old model's features identify their own identity: one weight in [0, 1]
per sample. DMU weights its compatibility loss by it (``methods/selective.py``); the
backfill re-extracts the least discriminative items first (``backfill/ordering.py``).

The weight is the old model's own confidence in a sample's identity, measured against
old-space class prototypes. Prototypes are leave-one-out class means (the class mean
without the sample itself): with plain class means, identities the old model never
trained on look the most discriminative, because every sample is pulled towards a
prototype it helped build, and the weights point the wrong way.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from upgradeflow.errors import UserInputError, check_choice

WEIGHTINGS = ("posterior", "entropy", "margin")


def check_weighting(name: str) -> str:
    return check_choice("weighting", name, WEIGHTINGS)


def _prototype_sums(features: Tensor, target: Tensor, num_classes: int) -> tuple[Tensor, Tensor]:
    sums = torch.zeros(num_classes, features.shape[1]).index_add_(0, target, features)
    counts = torch.bincount(target, minlength=num_classes).float()
    if (counts < 2).any():
        raise UserInputError("every identity needs at least two training images for leave-one-out prototypes")
    return sums, counts


def _weights_from_similarities(similarities: Tensor, target: Tensor, weighting: str, temperature: float) -> Tensor:
    rows = torch.arange(len(target))
    if weighting == "margin":
        own = similarities[rows, target]
        others = similarities.clone()
        others[rows, target] = -2.0
        return torch.sigmoid((own - others.max(1).values) / temperature)
    log_p = torch.log_softmax(similarities / temperature, dim=1)
    if weighting == "posterior":
        return log_p[rows, target].exp()
    entropy = -(log_p.exp() * log_p).sum(1)
    return 1 - entropy / np.log(similarities.shape[1])


def old_discriminativeness(
    features: np.ndarray,
    classes: np.ndarray,
    weighting: str = "posterior",
    temperature: float = 0.05,
    chunk: int = 8192,
) -> np.ndarray:
    """Per-sample weight in [0, 1]; higher means the old feature identifies its class.

    - ``posterior``: p_o(y|x), softmax over prototype cosines at ``temperature``;
    - ``entropy``: 1 - normalised entropy of that softmax (confidence, label-free);
    - ``margin``: sigmoid of (own-prototype cosine - best other cosine) / ``temperature``.
    """
    check_weighting(weighting)
    _, class_index = np.unique(classes, return_inverse=True)
    target = torch.from_numpy(class_index).long()
    x = F.normalize(torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32)), dim=1)
    sums, counts = _prototype_sums(x, target, int(target.max()) + 1)
    prototypes = F.normalize(sums / counts[:, None], dim=1)
    weights = torch.empty(len(x))
    for start in range(0, len(x), chunk):
        part, part_target = x[start : start + chunk], target[start : start + chunk]
        similarities = part @ prototypes.T
        own = F.normalize((sums[part_target] - part) / (counts[part_target] - 1)[:, None], dim=1)
        similarities[torch.arange(len(part)), part_target] = (part * own).sum(1)
        weights[start : start + chunk] = _weights_from_similarities(similarities, part_target, weighting, temperature)
    return weights.clamp(0, 1).numpy().astype(np.float32)
