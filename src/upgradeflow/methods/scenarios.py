"""Upgrade scenarios: how strong the old model is, and how much each model trains.

``default`` follows DMU's setting (old model on 30% of the training identities). In it a
compatible new model pays almost nothing, because the old space is already good;
``hard`` has a much weaker old model (10% of the identities, half the width, 3 epochs:
old/old about 10 mAP@100), which is where compatibility visibly costs the new model
quality, but whose old features are too poor for a selective constraint to choose
between. ``moderate`` sits between them: the default's old model stopped after 3 epochs
(old/old in the high 50s), a space that is worth inheriting only in part.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from upgradeflow.data.image_set import ImageSet
from upgradeflow.errors import UserInputError, check_choice
from upgradeflow.models.config import NEW_MODEL, OLD_MODEL, ModelConfig


@dataclass(frozen=True)
class Scenario:
    name: str
    old_fraction: float  # of the training identities the old model sees
    old_model: ModelConfig
    old_epochs: int
    new_model: ModelConfig
    new_epochs: int
    max_train_identities: int | None = None  # quick mode trains on a subset
    max_test_identities: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


SCENARIOS = {
    "default": Scenario("default", 0.3, OLD_MODEL, 10, NEW_MODEL, 8),
    "hard": Scenario("hard", 0.1, replace(OLD_MODEL, width=16), 3, NEW_MODEL, 8),
    "moderate": Scenario("moderate", 0.3, OLD_MODEL, 3, NEW_MODEL, 8),
}


def get_scenario(name: str, quick: bool) -> Scenario:
    scenario = SCENARIOS[check_choice("scenario", name, SCENARIOS)]
    if quick:
        scenario = replace(
            scenario,
            old_epochs=max(2, scenario.old_epochs // 2),
            new_epochs=3,
            max_train_identities=500,
            max_test_identities=200,
        )
    return scenario


@dataclass(frozen=True)
class ScenarioSplit:
    """The identities and images one seed trains and evaluates on."""

    train: ImageSet
    old_train: ImageSet
    queries: ImageSet
    gallery: ImageSet


def make_split(data: ImageSet, scenario: Scenario, seed: int) -> ScenarioSplit:
    rng = np.random.default_rng(seed)
    train_ids = np.unique(data.identities[data.split == "train"])
    test_ids = np.unique(data.identities[data.split == "test"])
    if len(train_ids) == 0 or len(test_ids) == 0:
        raise UserInputError("dataset needs both training and held-out (test) identities")
    if scenario.max_train_identities and len(train_ids) > scenario.max_train_identities:
        train_ids = np.sort(rng.choice(train_ids, scenario.max_train_identities, replace=False))
    if scenario.max_test_identities and len(test_ids) > scenario.max_test_identities:
        test_ids = np.sort(rng.choice(test_ids, scenario.max_test_identities, replace=False))
    old_ids = np.sort(rng.choice(train_ids, max(2, round(scenario.old_fraction * len(train_ids))), replace=False))
    test = data.with_identities(test_ids)
    return ScenarioSplit(
        train=data.with_identities(train_ids),
        old_train=data.with_identities(old_ids),
        queries=test.by_role("query"),
        gallery=test.by_role("gallery"),
    )
