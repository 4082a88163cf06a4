"""Training one benchmark method against a trained old model: the new model (or the
family of widths), and the forward adapter that evolves the old gallery for it.

Methods without a jointly trained adapter (independent, BCT) get a post-hoc one fitted
on the training images' embeddings, so every method has a new/evolved row and DMU's
joint adapter is compared with the best the others could do afterwards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from upgradeflow.bench.methods import Method
from upgradeflow.compat.bct import influence_term, old_classifier_rows
from upgradeflow.compat.dmu import DMULoss, sample_weights
from upgradeflow.compat.forward_adapter import fit_forward_adapter
from upgradeflow.data.image_set import ImageSet
from upgradeflow.models.adapter import AdapterConfig, MLPAdapter
from upgradeflow.models.config import ModelConfig
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.models.switchable import SwitchableEmbeddingModel
from upgradeflow.training.labels import LabelIndex
from upgradeflow.training.loop import TrainConfig, TrainResult, embed_images, train_embedding
from upgradeflow.training.switchable import train_switchable


@dataclass
class OldModel:
    """The frozen old model with what the compatibility losses need from it."""

    result: TrainResult
    classes: np.ndarray  # identities it was trained on
    train_features: np.ndarray  # its embeddings of the new model's training images


@dataclass
class TrainedMethod:
    models: dict[str, EmbeddingModel]  # "new", or one entry per width ("w1.0", ...)
    adapter: MLPAdapter | None
    adapter_source: str  # "joint" or "post-hoc"
    seconds: float
    details: dict = field(default_factory=dict)


def bct_rows(old: OldModel, train: ImageSet, labels: LabelIndex) -> Tensor:
    return old_classifier_rows(
        old.result.classifier.weight, old.classes, labels.identities, old.train_features, train.identities
    )


def post_hoc_adapter(old_features: np.ndarray, new_features: np.ndarray, seed: int) -> MLPAdapter:
    config = AdapterConfig(old_features.shape[1], 256, new_features.shape[1], 2, residual=True)
    return fit_forward_adapter(old_features, new_features, config, seed=seed)[0]


def weight_summary(weights: np.ndarray, identities: np.ndarray, old_classes: np.ndarray) -> dict:
    """Weight distribution for identities the old model trained on and for the others:
    selective compatibility is only sound if the first are weighted higher."""
    seen = np.isin(identities, old_classes)
    return {
        "seen_mean": round(float(weights[seen].mean()), 3) if seen.any() else None,
        "unseen_mean": round(float(weights[~seen].mean()), 3) if (~seen).any() else None,
        "quantiles": [round(float(q), 3) for q in np.quantile(weights, [0.1, 0.25, 0.5, 0.75, 0.9])],
    }


def train_method(
    method: Method,
    model_config: ModelConfig,
    train: ImageSet,
    old: OldModel,
    config: TrainConfig,
    progress: bool,
    desc: str,
) -> TrainedMethod:
    labels = LabelIndex(train.identities)
    targets = labels.encode(train.identities)
    started = time.perf_counter()
    if method.kind == "sfsc":
        family = SwitchableEmbeddingModel(model_config, method.sfsc.widths)
        result = train_switchable(
            family,
            train.images,
            targets,
            len(labels),
            config,
            method.sfsc,
            influence_term(bct_rows(old, train, labels), config.scale),
            desc,
            progress,
        )
        models = {f"w{w}": family.sub_model(i) for i, w in enumerate(method.sfsc.widths)}
        seconds = time.perf_counter() - started
        adapter = post_hoc_adapter(
            old.train_features, embed_images(models[f"w{method.sfsc.widths[0]}"], train.images), config.seed
        )
        return TrainedMethod(models, adapter, "post-hoc", seconds, {"log_variances": result.log_variances})
    extra, details = None, {}
    if method.kind == "bct":
        extra = influence_term(bct_rows(old, train, labels), config.scale)
    elif method.kind == "dmu":
        weights = sample_weights(old.train_features, train.identities, method.dmu)
        details["weights"] = weight_summary(weights, train.identities, old.classes)
        extra = DMULoss(
            method.dmu,
            old.result.model,
            bct_rows(old, train, labels),
            weights,
            model_config.embedding_dim,
            config.scale,
        )
    new = train_embedding(
        EmbeddingModel(model_config), train.images, targets, len(labels), config, extra, desc, progress
    )
    seconds = time.perf_counter() - started
    if isinstance(extra, DMULoss) and extra.adapter is not None:
        return TrainedMethod({"new": new.model}, extra.adapter, "joint", seconds, details)
    adapter = post_hoc_adapter(old.train_features, embed_images(new.model, train.images), config.seed)
    return TrainedMethod({"new": new.model}, adapter, "post-hoc", seconds, details)


@torch.no_grad()
def evolve(adapter: MLPAdapter, old_embeddings: np.ndarray) -> np.ndarray:
    return adapter.cpu().eval()(torch.from_numpy(old_embeddings)).numpy().astype(np.float32)


def old_model_for(result: TrainResult, old_train: ImageSet, train: ImageSet) -> OldModel:
    return OldModel(result, LabelIndex(old_train.identities).identities, embed_images(result.model, train.images))
