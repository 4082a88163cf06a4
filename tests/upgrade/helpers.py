"""A finished training run in a store, as the training step leaves it, and what the
evaluate step leaves, for the tests of what later steps do with them."""

from __future__ import annotations

from pathlib import Path

from tests.backfill.helpers import tiny_model
from tests.store.helpers import make_adapter
from upgradeflow.models.adapter import adapter_digest
from upgradeflow.models.checkpoint import save_model
from upgradeflow.registry.model_package import FORWARD_ADAPTER_FILE, MODEL_FILE
from upgradeflow.upgrade.run_files import run_prefix, upload, write_json

KEY = "0123456789abcdef"


def finished_run(store, directory: Path, *, with_adapter: bool = False, key: str = KEY, record: dict | None = None):
    """Upload the checkpoint files (the new model and, with ``with_adapter``, its forward
    adapter), then the record naming them; returns the new model."""
    model = tiny_model(3)
    files = list(save_model(model, directory / MODEL_FILE).parent.iterdir())
    adapter_sha256 = "0" * 64
    if with_adapter:
        adapter = make_adapter(directory / FORWARD_ADAPTER_FILE)
        adapter_sha256 = adapter_digest(adapter)
        files = list(directory.iterdir())
    upload(store, run_prefix(key), files)
    write_json(
        store,
        f"{run_prefix(key)}/train.json",
        {"files": sorted(f.name for f in files), "adapter_sha256": adapter_sha256, "spec": {"method": "dmu"}}
        | (record or {}),
    )
    return model


MODEL_NAME = "registration-test"
REGISTERED_KEY = "00112233445566aa"
REPORT = {"challenger": {"matrix": {"new/old": {"map@100": 51.5, "top1": 70.0}}}, "champion": {"map@100": 40.0}}


def checkpoints(directory: Path, seed: int) -> Path:
    save_model(tiny_model(seed), directory / MODEL_FILE)
    make_adapter(directory / FORWARD_ADAPTER_FILE, seed=seed)
    return directory


def write_evaluation(run, champion, evaluation: dict | None = None) -> None:
    """What the evaluate step leaves for the champion the run is compared with."""
    from upgradeflow.upgrade.registration import REPORT_FILES
    from upgradeflow.upgrade.run_files import evaluation_prefix

    prefix = evaluation_prefix(run.key, champion.version)
    write_json(run.store, f"{prefix}/evaluation.json", evaluation or REPORT)
    for name in REPORT_FILES[1:]:
        run.store.write(f"{prefix}/{name}", b"report")


def promote_version_2(client, model: str) -> None:
    """What promotion leaves on version 2 of ``model``: its upgrade took the gallery and
    the index from P through E (evolved) to B (backfilled), over champion version 1."""
    tags = {
        "upgradeflow.gallery": "g", "upgradeflow.index": "g", "upgradeflow.previous_champion": "1",
        "upgradeflow.gallery_version": "B", "upgradeflow.gallery_evolved": "E",
        "upgradeflow.index_version": "B.flat", "upgradeflow.index_evolved": "E.flat",
    }  # fmt: skip
    for key, value in tags.items():
        client.set_model_version_tag(model, "2", key, value)
    client.set_registered_model_alias(model, "champion", "2")
