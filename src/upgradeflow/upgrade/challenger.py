"""The first step of an upgrade: train the challenger against the frozen registered old
model and keep what it made (checkpoints, forward adapter, SFSC widths) under the run's
key in the store. The key is derived from the spec, the old model and the data, so the
same request finds its finished run instead of training again."""

from __future__ import annotations

from pathlib import Path

from upgradeflow.errors import UserInputError
from upgradeflow.scratch import scratch
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.object_store import ObjectStore, join
from upgradeflow.upgrade.run_files import read_json, run_prefix, upload, write_json
from upgradeflow.upgrade.spec import UpgradeSpec


def check_gallery_dimension(store: ObjectStore, gallery_name: str, old_dimension: int, old_uri: str) -> None:
    """The adapter maps the old model's space; a gallery of another dimension cannot be
    evolved by it, and finding out after training wastes the run."""
    stored = Gallery(store, gallery_name).manifest()["dimension"]
    if stored != old_dimension:
        raise UserInputError(
            f"gallery '{gallery_name}' stores {stored}-d embeddings but {old_uri} embeds {old_dimension}-d: "
            "the forward adapter could not evolve it"
        )


def train_challenger(
    store: ObjectStore,
    spec: UpgradeSpec,
    old_model_uri: str,
    data_dir: Path,
    gallery_name: str | None = None,
    progress: bool = True,
) -> dict:
    """Train (or find) the run for ``spec`` against ``old_model_uri`` (tracking already
    chosen); what the step prints, its ``run_key`` naming the run for every later step."""
    from upgradeflow.data.registry import load_dataset
    from upgradeflow.models.adapter import adapter_digest, save_adapter
    from upgradeflow.models.checkpoint import save_model
    from upgradeflow.registry.model_package import FORWARD_ADAPTER_FILE, MODEL_FILE, width_file
    from upgradeflow.registry.versions import load_package, resolve
    from upgradeflow.upgrade.spec import dataset_fingerprint, run_key
    from upgradeflow.upgrade.training import train_new_model

    old = resolve(old_model_uri)
    old_model = load_package(old).model
    if gallery_name:
        check_gallery_dimension(store, gallery_name, old_model.config.embedding_dim, old.uri)
    data = load_dataset(spec.dataset, data_dir, progress=progress)
    key = run_key(spec, old.uri, dataset_fingerprint(data))
    record_key = join(run_prefix(key), "train.json")
    record = read_json(store, record_key)
    if record is not None:
        return {**_summary(record), "skipped": True}
    trained = train_new_model(data, spec, old_model, progress=progress)
    metadata = {"run_key": key, "old_model": old.uri, "spec": spec.to_dict()}
    with scratch() as tmp:
        directory = Path(tmp)
        save_model(trained.model, directory / MODEL_FILE, metadata)
        save_adapter(trained.adapter, directory / FORWARD_ADAPTER_FILE, metadata)
        for width, model in list(trained.widths.items())[1:]:
            save_model(model, directory / width_file(width), {**metadata, "width": width})
        files = sorted(directory.iterdir())
        upload(store, run_prefix(key), files)
        record = {
            **metadata,
            "files": [f.name for f in files],
            "adapter_sha256": adapter_digest(directory / FORWARD_ADAPTER_FILE),
            "adapter_cosine_distance": round(trained.adapter_distance, 4),
            "adapter_source": trained.adapter_source,
            "widths": list(trained.widths),
            "train_seconds": round(trained.seconds, 1),
        }
    write_json(store, record_key, record)  # last: the run counts as finished from here
    return {**_summary(record), "skipped": False}


def _summary(record: dict) -> dict:
    keys = ("run_key", "old_model", "adapter_sha256", "train_seconds")
    return {k: record[k] for k in keys}
