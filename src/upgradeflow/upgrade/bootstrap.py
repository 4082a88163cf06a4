"""A deployment's starting point, for demos and tests: train the first model, register
it as ``champion``, extract the gallery with it into a committed version and make its
index live. Each part is skipped when it already exists, so bootstrapping again changes
nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from upgradeflow.errors import UserInputError
from upgradeflow.index.spec import IndexSpec
from upgradeflow.scratch import scratch
from upgradeflow.store.object_store import ObjectStore
from upgradeflow.upgrade.spec import UpgradeSpec


@dataclass(frozen=True)
class Deployment:
    """Where the bootstrap puts things: the registered model, the gallery and its index."""

    model_name: str
    gallery: str
    index: str
    index_spec: IndexSpec
    gallery_shards: int = 4

    def __post_init__(self) -> None:
        if self.gallery_shards < 1:
            raise UserInputError(f"--gallery-shards must be >= 1, got {self.gallery_shards}")


def bootstrap(
    store: ObjectStore,
    spec: UpgradeSpec,
    deployment: Deployment,
    data_dir: Path,
    lease_owner: str | None = None,
    progress: bool = True,
) -> dict:
    """Make every missing part of the deployment (tracking already chosen)."""
    from upgradeflow.data.registry import load_dataset
    from upgradeflow.embeddings import write_embedding_table
    from upgradeflow.index.sharded import IndexCatalog
    from upgradeflow.models.inference import embed_images
    from upgradeflow.registry.versions import CHAMPION, alias_version, load_package, resolve
    from upgradeflow.store.gallery import Gallery
    from upgradeflow.store.importer import import_tables
    from upgradeflow.store.lease import hold_lease
    from upgradeflow.upgrade.training import upgrade_split

    data = load_dataset(spec.dataset, data_dir, progress=progress)
    name = deployment.model_name
    trained = alias_version(name, CHAMPION) is None
    ref = register_first_model(name, spec, data, progress) if trained else resolve(f"models:/{name}@{CHAMPION}")
    gallery = Gallery(store, deployment.gallery)
    catalog = IndexCatalog(store, deployment.index)
    if gallery.pointer().current is None:
        hold_lease(gallery, lease_owner)
        images = upgrade_split(data, spec).gallery
        embeddings = embed_images(load_package(ref).model, images.images)
        with scratch() as tmp:
            table = write_embedding_table(
                Path(tmp) / "gallery.parquet",
                images.ids,
                embeddings,
                images.identities,
                ref.uri,
                sources=[f"{spec.dataset}:{i}" for i in images.ids],
            )
            rows = -(-len(images) // deployment.gallery_shards)
            import_tables(gallery, table, version=f"{ref.name}-v{ref.version}", shard_rows=rows, progress=False)
    if catalog.pointer().current is None:
        version, _ = catalog.build(gallery, spec=deployment.index_spec, progress=progress)
        hold_lease(gallery, lease_owner)
        catalog.swap(version, expected_current=None)
    return {
        "champion": ref.uri,
        "trained": trained,
        "gallery_version": gallery.pointer().current,
        "index_version": catalog.pointer().current,
    }


def register_first_model(model_name: str, spec: UpgradeSpec, data, progress: bool = True):
    """Train the scenario's old model, register it with its own retrieval as metrics, and
    make it the champion."""
    import numpy as np

    from upgradeflow.evaluation.metrics import retrieval_metrics
    from upgradeflow.models.checkpoint import save_model
    from upgradeflow.models.inference import embed_images
    from upgradeflow.registry.model_package import MODEL_FILE
    from upgradeflow.registry.versions import CHAMPION, metric_items, register_version, set_alias
    from upgradeflow.upgrade.spec import dataset_fingerprint, digest
    from upgradeflow.upgrade.training import train_first_model, upgrade_split

    result = train_first_model(data, spec, progress=progress)
    split = upgrade_split(data, spec)
    metrics = retrieval_metrics(
        embed_images(result.model, split.queries.images),
        split.queries.identities,
        embed_images(result.model, split.gallery.images),
        split.gallery.identities,
    ).to_dict()
    key = digest({"first_model": spec.to_dict(), "data": dataset_fingerprint(data)})
    with scratch() as tmp:
        save_model(result.model, Path(tmp) / MODEL_FILE, {"run_key": key, "spec": spec.to_dict()})
        size = result.model.config.image_size
        ref = register_version(
            model_name,
            key,
            Path(tmp),
            params={**spec.to_dict(), "method": "old"},
            metrics=metric_items("", {"old/old": metrics}),
            artifacts=[],
            tags={"upgradeflow.method": "old", "upgradeflow.dataset": spec.dataset},
            input_example=np.zeros((2, size, size), dtype=np.uint8),
        )
    set_alias(ref, CHAMPION)
    return ref
