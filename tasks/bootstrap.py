"""A deployment's starting point, for demos and tests: train the first model, register
it as ``champion``, extract the gallery with it into a committed version and make its
index live. Each part is skipped when it already exists."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tasks import _step
from tasks._context import hold_lease, load_data, open_store, use_registry
from upgradeflow.cli.args import add_threads
from upgradeflow.scratch import scratch


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__)
    _step.add_model_name(parser)
    _step.add_data_arguments(parser)
    _step.add_gallery(parser)
    _step.add_index_arguments(parser)
    parser.add_argument("--gallery-shards", type=int, default=4, help="shards of the extracted gallery")
    _step.add_lease_owner(parser)
    add_threads(parser)
    return parser


def work(args: argparse.Namespace) -> dict:
    from upgradeflow.embeddings import write_embedding_table
    from upgradeflow.errors import UserInputError
    from upgradeflow.index.sharded import IndexCatalog
    from upgradeflow.models.inference import embed_images
    from upgradeflow.registry.versions import CHAMPION, alias_version, load_package, resolve
    from upgradeflow.runtime import configure_torch
    from upgradeflow.store.gallery import Gallery
    from upgradeflow.store.importer import import_tables
    from upgradeflow.upgrade.spec import UpgradeSpec
    from upgradeflow.upgrade.training import upgrade_split

    if args.gallery_shards < 1:
        raise UserInputError(f"--gallery-shards must be >= 1, got {args.gallery_shards}")
    spec = UpgradeSpec(dataset=args.dataset, scenario=args.scenario, quick=args.mode == "quick", seed=args.seed)
    store = open_store(args)
    use_registry(args)
    configure_torch(args.threads)
    data = load_data(args)
    trained = alias_version(args.model_name, CHAMPION) is None
    ref = _register_first_model(args, spec, data) if trained else resolve(f"models:/{args.model_name}@{CHAMPION}")
    gallery = Gallery(store, args.gallery)
    catalog = IndexCatalog(store, args.index)
    if gallery.pointer().current is None:
        hold_lease(gallery, args.lease_owner)
        images = upgrade_split(data, spec).gallery
        embeddings = embed_images(load_package(ref).model, images.images)
        with scratch() as tmp:
            table = write_embedding_table(
                Path(tmp) / "gallery.parquet",
                images.ids,
                embeddings,
                images.identities,
                ref.uri,
                sources=[f"{args.dataset}:{i}" for i in images.ids],
            )
            rows = -(-len(images) // args.gallery_shards)
            import_tables(gallery, table, version=f"{ref.name}-v{ref.version}", shard_rows=rows, progress=False)
    if catalog.pointer().current is None:
        version, _ = catalog.build(gallery, spec=_step.index_spec(args.index_kind), progress=not args.no_progress)
        hold_lease(gallery, args.lease_owner)
        catalog.swap(version, expected_current=None)
    return {
        "champion": ref.uri,
        "trained": trained,
        "gallery_version": gallery.pointer().current,
        "index_version": catalog.pointer().current,
    }


def _register_first_model(args: argparse.Namespace, spec, data):
    import numpy as np

    from upgradeflow.evaluation.metrics import retrieval_metrics
    from upgradeflow.models.checkpoint import save_model
    from upgradeflow.models.inference import embed_images
    from upgradeflow.registry.model_package import MODEL_FILE
    from upgradeflow.registry.versions import CHAMPION, metric_items, register_version, set_alias
    from upgradeflow.upgrade.spec import dataset_fingerprint, digest
    from upgradeflow.upgrade.training import train_first_model, upgrade_split

    result = train_first_model(data, spec, progress=not args.no_progress)
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
            args.model_name,
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


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
