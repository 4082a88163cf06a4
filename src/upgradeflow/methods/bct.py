"""Backward-compatible training (Shen et al., CVPR 2020): the influence loss.

New embeddings are classified by the frozen old classifier, so they must land where the
old model put each identity. Identities the old model never saw have no trained old row;
their rows are synthesised as the class mean of old features over their training images,
never taken from untrained weights.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from upgradeflow.models.cosine_classifier import cosine_logits
from upgradeflow.training.loop import FunctionLoss


def old_classifier_rows(
    old_rows: Tensor,
    old_classes: np.ndarray,
    all_classes: np.ndarray,
    old_features: np.ndarray,
    feature_classes: np.ndarray,
) -> Tensor:
    """A frozen old-space classifier over ``all_classes``.

    Rows of classes in ``old_classes`` are the old classifier's trained rows; the others
    are the normalised mean of ``old_features`` (old-model embeddings of the training
    images) of that class.
    """
    rows = torch.empty(len(all_classes), old_rows.shape[1])
    trained = {int(c): i for i, c in enumerate(old_classes)}
    for i, identity in enumerate(all_classes):
        if int(identity) in trained:
            rows[i] = F.normalize(old_rows[trained[int(identity)]].detach().cpu(), dim=0)
        else:
            members = old_features[feature_classes == identity]
            if len(members) == 0:
                raise ValueError(f"class {identity} has no training images to synthesise its old row")
            rows[i] = F.normalize(torch.from_numpy(members.mean(axis=0)), dim=0)
    return rows


def influence_loss(new_embeddings: Tensor, targets: Tensor, frozen_old_rows: Tensor, scale: float) -> Tensor:
    """CE of new embeddings through the frozen old classifier."""
    return F.cross_entropy(cosine_logits(new_embeddings, frozen_old_rows, scale), targets)


def influence_term(frozen_old_rows: Tensor, scale: float, weight: float = 1.0) -> FunctionLoss:
    """The influence loss as an extra term of the training loop; ``weight`` (λ) sets how
    hard the new model is tied to the old space, the knob of the compatibility trade-off."""
    return FunctionLoss(
        lambda step: (
            weight
            * influence_loss(step.embeddings, step.batch.targets, frozen_old_rows.to(step.embeddings.device), scale)
        )
    )
