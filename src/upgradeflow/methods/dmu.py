"""Darwinian Model Upgrades (Zhang et al., AAAI 2023) as one extra loss term of the
training loop: selective backward compatibility plus a jointly trained forward adapter.

L = L_cls + λ_bc · Σ w l_comp / Σ w + λ_fa · L_fa, where w is the old discriminativeness
of each training sample (``compat.selective``). ψ maps old features to new ones: it is
trained to land on the new feature of the same image (cosine) and to be classified by
the new classifier, with extra weight (1 - w) on samples whose old features are poor,
since those are the gallery items an evolved gallery most needs to repair; once the new
model is final, ψ is refined on its embeddings with the same emphasis.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from upgradeflow.discriminativeness import WEIGHTINGS, old_discriminativeness
from upgradeflow.errors import UserInputError, check_choice
from upgradeflow.methods.selective import new_to_old_contrastive, weighted_mean
from upgradeflow.models.adapter import AdapterConfig, MLPAdapter
from upgradeflow.models.cosine_classifier import cosine_logits
from upgradeflow.training.loop import ExtraLoss, StepOutputs

COMPAT_LOSSES = ("influence", "contrastive")
# How the weighted compatibility loss is averaged over a batch: by the sum of the weights
# (DMU's definition: the constraint's strength stays BCT's, aimed at the samples worth
# inheriting) or by the batch size (a poor old space, whose weights are all small,
# then constrains the new model less overall).
NORMALISATIONS = ("weights", "samples")


@dataclass(frozen=True)
class DMUConfig:
    """Each part can be switched off for ablation: ``weighting="uniform"`` is BCT plus an
    adapter, ``adapter=False`` is selective compatibility alone."""

    weighting: str = "posterior"  # posterior | entropy | margin | uniform
    weight_temperature: float = 0.05
    normalisation: str = "weights"  # weights | samples
    compat_loss: str = "influence"  # influence | contrastive
    contrastive_temperature: float = 0.05
    lambda_bc: float = 1.0
    adapter: bool = True
    lambda_fa: float = 1.0
    adapter_hidden: int = 256
    adapter_depth: int = 2
    # Whether L_fa also trains the new model (towards features its adapter can reach)
    # or only ψ (which then chases a new model trained without it).
    adapter_shapes_new: bool = False
    # Epochs of training ψ further on the finished new model's embeddings (0: none).
    # Jointly, ψ chases a moving target; on the validation identities (scenario
    # moderate, seed 0) a ψ fitted to the finished model evolved the gallery to 72.6
    # mAP@100 against 69.9 for the joint one.
    adapter_refine_epochs: int = 30

    def __post_init__(self) -> None:
        check_choice("weighting", self.weighting, (*WEIGHTINGS, "uniform"))
        check_choice("compatibility loss", self.compat_loss, COMPAT_LOSSES)
        check_choice("normalisation", self.normalisation, NORMALISATIONS)
        if min(self.weight_temperature, self.contrastive_temperature) <= 0:
            raise UserInputError("temperatures must be positive")
        if min(self.lambda_bc, self.lambda_fa) < 0:
            raise UserInputError("loss weights λ_bc and λ_fa must not be negative")
        if min(self.adapter_hidden, self.adapter_depth) < 1:
            raise UserInputError("adapter hidden size and depth must be positive")
        if self.adapter_refine_epochs < 0:
            raise UserInputError("adapter refinement epochs must not be negative")

    def to_dict(self) -> dict:
        return asdict(self)


def sample_weights(old_features: np.ndarray, classes: np.ndarray, config: DMUConfig) -> np.ndarray:
    if config.weighting == "uniform":
        return np.ones(len(old_features), dtype=np.float32)
    return old_discriminativeness(old_features, classes, config.weighting, config.weight_temperature)


class DMULoss(ExtraLoss):
    """The DMU terms for one training run; ``adapter`` is ψ after training."""

    def __init__(
        self,
        config: DMUConfig,
        old_model: nn.Module | None,
        old_rows: Tensor,
        weights: np.ndarray,
        new_dim: int,
        scale: float,
        old_table: Tensor | None = None,
    ) -> None:
        """``old_table``: the old model's embedding of every training row, where the
        inputs are not augmented (a head on cached features): looked up, not recomputed."""
        self.config = config
        self.old_model = old_model.eval().requires_grad_(False) if old_model is not None else None
        self.old_table = old_table
        self.old_rows = old_rows
        self.weights = torch.from_numpy(weights)
        self.scale = scale
        old_dim = old_rows.shape[1]
        self.adapter = (
            MLPAdapter(AdapterConfig(old_dim, config.adapter_hidden, new_dim, config.adapter_depth, residual=True))
            if config.adapter
            else None
        )
        self.modules = (self.adapter,) if self.adapter is not None else ()

    def _old_features(self, rows: Tensor, images: Tensor) -> Tensor:
        if self.old_table is not None:
            return self.old_table[rows].to(images.device)
        self.old_model.to(images.device)
        with torch.no_grad():
            return self.old_model(images).float()

    def __call__(self, step: StepOutputs) -> Tensor:
        batch, new = step.batch, step.embeddings
        weights = self.weights[batch.rows].to(new.device)
        needs_old = self.adapter is not None or self.config.compat_loss == "contrastive"
        old = self._old_features(batch.rows, batch.images) if needs_old else None
        if self.config.compat_loss == "influence":
            rows = self.old_rows.to(new.device)
            per_sample = F.cross_entropy(cosine_logits(new, rows, self.scale), batch.targets, reduction="none")
        else:
            per_sample = new_to_old_contrastive(new, old, batch.targets, self.config.contrastive_temperature)
        if self.config.normalisation == "weights":
            compat = weighted_mean(per_sample, weights)
        else:
            compat = (weights * per_sample).mean()
        loss = self.config.lambda_bc * compat
        if self.adapter is not None:
            evolved = self.adapter(old)
            target = new if self.config.adapter_shapes_new else new.detach()
            regression = 1 - F.cosine_similarity(evolved, target.float(), dim=1)
            rows = step.classifier.weight if self.config.adapter_shapes_new else step.classifier.weight.detach()
            classified = F.cross_entropy(cosine_logits(evolved, rows, self.scale), batch.targets, reduction="none")
            loss = loss + self.config.lambda_fa * weighted_mean(regression + classified, 2 - weights)
        return loss
