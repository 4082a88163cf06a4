"""Training for the pipeline: the first (old) model of a deployment, and a new model
made compatible with a frozen registered one, plus its forward adapter.

Unlike the benchmark, the old model here comes from the registry as an embedding model
only (its classifier is not deployed), so BCT's frozen old classifier is the class
mean of old embeddings for every training identity.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from upgradeflow.bench.compat import BenchSplit, make_split
from upgradeflow.bench.scenarios import get_scenario
from upgradeflow.compat.bct import influence_loss, old_classifier_rows
from upgradeflow.compat.forward_adapter import fit_forward_adapter
from upgradeflow.data.image_set import ImageSet
from upgradeflow.models.adapter import AdapterConfig, MLPAdapter
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.training.labels import LabelIndex
from upgradeflow.training.loop import TrainConfig, TrainResult, embed_images, train_embedding
from upgradeflow.upgrade.spec import UpgradeSpec


@dataclass
class TrainedUpgrade:
    new: TrainResult
    adapter: MLPAdapter
    adapter_distance: float  # mean cosine distance of ψ(old) to new on the training images


def upgrade_split(data: ImageSet, spec: UpgradeSpec) -> BenchSplit:
    return make_split(data, get_scenario(spec.scenario, spec.quick), spec.seed)


def train_first_model(data: ImageSet, spec: UpgradeSpec, progress: bool = True) -> TrainResult:
    """The deployment's first model: the scenario's old model on its old identities."""
    scenario = get_scenario(spec.scenario, spec.quick)
    split = upgrade_split(data, spec)
    labels = LabelIndex(split.old_train.identities)
    config = TrainConfig(epochs=scenario.old_epochs, seed=spec.seed)
    return train_embedding(
        EmbeddingModel(scenario.old_model),
        split.old_train.images,
        labels.encode(split.old_train.identities),
        len(labels),
        config,
        desc="old model",
        progress=progress,
    )


def train_new_model(
    data: ImageSet, spec: UpgradeSpec, old_model: EmbeddingModel, progress: bool = True
) -> TrainedUpgrade:
    scenario = get_scenario(spec.scenario, spec.quick)
    split = upgrade_split(data, spec)
    config = replace(TrainConfig(seed=spec.seed), epochs=scenario.new_epochs)
    labels = LabelIndex(split.train.identities)
    old_train = embed_images(old_model, split.train.images)
    extra = None
    if spec.method == "bct":
        rows = old_classifier_rows(
            torch.empty(0, old_train.shape[1]),
            np.array([], dtype=np.int64),
            labels.identities,
            old_train,
            split.train.identities,
        )

        def extra(embeddings, targets, rows=rows):
            return influence_loss(embeddings, targets, rows, config.scale)

    new = train_embedding(
        EmbeddingModel(scenario.new_model),
        split.train.images,
        labels.encode(split.train.identities),
        len(labels),
        config,
        extra_loss=extra,
        desc=f"new model ({spec.method})",
        progress=progress,
    )
    new_train = embed_images(new.model, split.train.images)
    adapter_config = AdapterConfig(
        in_dim=old_train.shape[1],
        hidden_dim=spec.adapter_hidden,
        out_dim=new_train.shape[1],
        depth=spec.adapter_depth,
    )
    adapter, distance = fit_forward_adapter(
        old_train, new_train, adapter_config, epochs=spec.adapter_epochs, seed=spec.seed
    )
    return TrainedUpgrade(new, adapter, distance)
