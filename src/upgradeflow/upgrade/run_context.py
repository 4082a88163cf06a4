"""One upgrade run as its steps see it: the store, the run's key, and what the training
step left under ``runs/<key>/``. Steps hand each other only the key; each opens the run
here and finds the same record, checkpoints, new model and gallery versions, so mapped
tasks and retries agree without passing state."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from upgradeflow.errors import UserInputError
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.object_store import ObjectStore, join
from upgradeflow.upgrade.backfill import BackfillTarget, backfill_target
from upgradeflow.upgrade.evolution import EvolutionTarget, evolution_target
from upgradeflow.upgrade.run_files import check_run_key, download, read_json, run_prefix


@dataclass
class UpgradeRun:
    store: ObjectStore
    key: str

    def __post_init__(self) -> None:
        check_run_key(self.key)

    @cached_property
    def record(self) -> dict:
        """The training step's record (spec, old model, files, adapter digest); a key with
        no finished training run is the caller's mistake."""
        record = read_json(self.store, join(run_prefix(self.key), "train.json"))
        if record is None:
            raise UserInputError(f"{self.store.uri}/{run_prefix(self.key)}: no finished training run with this key")
        return record

    @cached_property
    def files(self) -> Path:
        """The run's checkpoints, downloaded into a scratch directory that goes when the
        process ends."""
        from upgradeflow.scratch import scratch_for_process

        return download(self.store, run_prefix(self.key), self.record["files"], scratch_for_process(self.key))

    def new_model(self):
        """The run's new embedding model, from its checkpoint."""
        from upgradeflow.models.checkpoint import load_model
        from upgradeflow.registry.model_package import MODEL_FILE

        return load_model(self.files / f"{MODEL_FILE}.pt")

    def evolution(self, gallery_name: str) -> tuple[Gallery, EvolutionTarget]:
        """The gallery, and which version this run evolves into which."""
        gallery = Gallery(self.store, gallery_name)
        return gallery, evolution_target(gallery, self.record["adapter_sha256"])

    def backfill(self, gallery_name: str) -> tuple[Gallery, BackfillTarget]:
        """The gallery, and which evolved version this run backfills into which."""
        gallery = Gallery(self.store, gallery_name)
        return gallery, backfill_target(gallery, self.record["adapter_sha256"], self.key)
