"""Training for the pipeline: the first (old) model of a deployment, and a new model
made compatible with a frozen registered one, plus its forward adapter.

Unlike the benchmark, the old model here comes from the registry as an embedding model
only (its classifier is not deployed), so the frozen old classifier of BCT, DMU and
SFSC is the class mean of old embeddings for every training identity. DMU trains its
adapter jointly; the other methods fit one afterwards on the training embeddings.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F

from upgradeflow.bench.compat import BenchSplit, make_split
from upgradeflow.bench.scenarios import get_scenario
from upgradeflow.compat.bct import influence_term, old_classifier_rows
from upgradeflow.compat.dmu import DMULoss, sample_weights
from upgradeflow.compat.forward_adapter import fit_forward_adapter
from upgradeflow.data.image_set import ImageSet
from upgradeflow.models.adapter import AdapterConfig, MLPAdapter
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.models.switchable import SwitchableEmbeddingModel
from upgradeflow.training.labels import LabelIndex
from upgradeflow.training.loop import TrainConfig, TrainResult, embed_images, train_embedding
from upgradeflow.training.switchable import SFSCConfig, train_switchable
from upgradeflow.upgrade.spec import UpgradeSpec


@dataclass
class TrainedUpgrade:
    new: TrainResult
    adapter: MLPAdapter
    adapter_distance: float  # mean cosine distance of ψ(old) to new on the training images
    adapter_source: str  # "joint" (DMU) or "post-hoc"
    widths: dict[float, EmbeddingModel] = field(default_factory=dict)  # SFSC: every width, full first


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
    targets = labels.encode(split.train.identities)
    old_train = embed_images(old_model, split.train.images)
    rows = old_classifier_rows(
        torch.empty(0, old_train.shape[1]),
        np.array([], dtype=np.int64),
        labels.identities,
        old_train,
        split.train.identities,
    )
    desc = f"new model ({spec.method})"
    widths: dict[float, EmbeddingModel] = {}
    if spec.method == "sfsc":
        family = SwitchableEmbeddingModel(scenario.new_model, spec.widths)
        new = train_switchable(
            family, split.train.images, targets, len(labels), config, SFSCConfig(spec.widths),
            influence_term(rows, config.scale), desc, progress,
        )  # fmt: skip
        widths = {w: family.sub_model(i) for i, w in enumerate(spec.widths)}
        new.model = widths[spec.widths[0]]
    else:
        extra = None
        if spec.method == "bct":
            extra = influence_term(rows, config.scale)
        elif spec.method == "dmu":
            dmu = spec.dmu_config()
            weights = sample_weights(old_train, split.train.identities, dmu)
            extra = DMULoss(dmu, old_model, rows, weights, scenario.new_model.embedding_dim, config.scale)
        new = train_embedding(
            EmbeddingModel(scenario.new_model), split.train.images, targets, len(labels), config, extra, desc, progress
        )
    new_train = embed_images(new.model, split.train.images)
    if isinstance(new.extra, DMULoss) and new.extra.adapter is not None:
        adapter = new.extra.adapter.eval()
        with torch.inference_mode():
            evolved = adapter(torch.from_numpy(old_train))
            distance = float((1 - F.cosine_similarity(evolved, torch.from_numpy(new_train))).mean())
        return TrainedUpgrade(new, adapter, distance, "joint")
    adapter_config = AdapterConfig(
        in_dim=old_train.shape[1],
        hidden_dim=spec.adapter_hidden,
        out_dim=new_train.shape[1],
        depth=spec.adapter_depth,
        residual=True,
    )
    adapter, distance = fit_forward_adapter(
        old_train, new_train, adapter_config, epochs=spec.adapter_epochs, seed=spec.seed
    )
    return TrainedUpgrade(new, adapter, distance, "post-hoc", widths)
