"""What one upgrade trains, as a validated value: its digest keys every artifact, so a
re-run with the same inputs finds and reuses the finished work."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np

from upgradeflow.data.image_set import ImageSet
from upgradeflow.discriminativeness import check_weighting
from upgradeflow.errors import UserInputError, check_choice
from upgradeflow.methods.dmu import DMUConfig
from upgradeflow.methods.registry import Method
from upgradeflow.methods.scenarios import SCENARIOS
from upgradeflow.methods.sfsc import SFSCConfig
from upgradeflow.models.switchable import DEFAULT_WIDTHS, check_widths

UPGRADE_METHODS = ("dmu", "bct", "independent", "sfsc")


@dataclass(frozen=True)
class UpgradeSpec:
    method: str = "dmu"
    weighting: str = "posterior"  # DMU's old-discriminativeness weights
    widths: tuple[float, ...] = DEFAULT_WIDTHS  # SFSC's sub-model widths
    dataset: str = "glyphs"
    scenario: str = "default"
    quick: bool = True
    seed: int = 0
    adapter_hidden: int = 256
    adapter_depth: int = 2
    adapter_epochs: int = 30

    def __post_init__(self) -> None:
        check_choice("method", self.method, UPGRADE_METHODS)
        check_choice("scenario", self.scenario, SCENARIOS)
        if min(self.adapter_hidden, self.adapter_depth, self.adapter_epochs) < 1:
            raise UserInputError("adapter hidden size, depth and epochs must be positive")
        check_weighting(self.weighting)
        object.__setattr__(self, "widths", check_widths(self.widths))

    def training_method(self) -> Method:
        """The method as the trainer takes it, with this spec's settings."""
        return Method(
            self.method,
            self.method,
            f"pipeline {self.method}",
            dmu=self.dmu_config() if self.method == "dmu" else None,
            sfsc=SFSCConfig(self.widths) if self.method == "sfsc" else None,
        )

    def dmu_config(self) -> DMUConfig:
        return DMUConfig(weighting=self.weighting, adapter_hidden=self.adapter_hidden, adapter_depth=self.adapter_depth)

    def to_dict(self) -> dict:
        return asdict(self)


def digest(document: dict) -> str:
    """A short stable name for a JSON-able document."""
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:16]


def run_key(spec: UpgradeSpec, old_model_version: str, dataset_fingerprint: str) -> str:
    return digest({"spec": spec.to_dict(), "old": old_model_version, "data": dataset_fingerprint})


def dataset_fingerprint(data: ImageSet) -> str:
    """Content hash of a loaded dataset: ids, identities, roles and pixels."""
    hasher = hashlib.sha256()
    for column in (data.ids.astype(str), data.identities, data.split.astype(str), data.role.astype(str)):
        hasher.update("\x1f".join(map(str, column.tolist())).encode())
    hasher.update(np.ascontiguousarray(data.images).tobytes())
    return hasher.hexdigest()[:16]
