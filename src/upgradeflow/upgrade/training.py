"""Training for the pipeline: the first (old) model of a deployment, and a new model
made compatible with a frozen registered one, plus its forward adapter.

Unlike the benchmark, the old model here comes from the registry as an embedding model
only (its classifier is not deployed), so the frozen old classifier of BCT, DMU and
SFSC is the class mean of old embeddings for every training identity. DMU trains its
adapter jointly; the other methods fit one afterwards on the training embeddings.
"""

from __future__ import annotations

from upgradeflow.data.image_set import ImageSet
from upgradeflow.methods.scenarios import ScenarioSplit, get_scenario, make_split
from upgradeflow.methods.trainers import (
    PostHocAdapter,
    TrainedMethod,
    registered_old_model,
    train_method,
    train_old_model,
)
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.training.loop import TrainConfig, TrainResult
from upgradeflow.upgrade.spec import UpgradeSpec


def upgrade_split(data: ImageSet, spec: UpgradeSpec) -> ScenarioSplit:
    return make_split(data, get_scenario(spec.scenario, spec.quick), spec.seed)


def train_first_model(data: ImageSet, spec: UpgradeSpec, progress: bool = True) -> TrainResult:
    """The deployment's first model: the scenario's old model on its old identities."""
    scenario = get_scenario(spec.scenario, spec.quick)
    config = TrainConfig(epochs=scenario.old_epochs, seed=spec.seed)
    return train_old_model(scenario.old_model, upgrade_split(data, spec).old_train, config, "old model", progress)


def train_new_model(
    data: ImageSet, spec: UpgradeSpec, old_model: EmbeddingModel, progress: bool = True
) -> TrainedMethod:
    scenario = get_scenario(spec.scenario, spec.quick)
    split = upgrade_split(data, spec)
    return train_method(
        spec.training_method(),
        scenario.new_model,
        split.train,
        registered_old_model(old_model, split.train),
        TrainConfig(epochs=scenario.new_epochs, seed=spec.seed),
        progress,
        f"new model ({spec.method})",
        PostHocAdapter(spec.adapter_hidden, spec.adapter_depth, spec.adapter_epochs),
    )
