"""Step 1: train the new model against the frozen old one, with its forward adapter
(trained jointly by DMU, fitted afterwards otherwise); SFSC also saves every width."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tasks import _step
from tasks._context import load_data, open_store, use_registry
from upgradeflow.cli.args import add_threads
from upgradeflow.scratch import scratch


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__)
    parser.add_argument("--old-model", required=True, help="models:/NAME@ALIAS or models:/NAME/VERSION")
    parser.add_argument("--method", default="dmu", help="dmu, bct, independent or sfsc")
    parser.add_argument("--weighting", default="posterior", help="DMU weights: posterior, entropy or margin")
    parser.add_argument(
        "--widths", type=_step.widths, default=(1.0, 0.75, 0.5, 0.25), help="SFSC widths, descending, in (0, 1]"
    )
    parser.add_argument(
        "--gallery", help="the live gallery the adapter will evolve; its dimension is checked before training"
    )
    _step.add_data_arguments(parser)
    add_threads(parser)
    return parser


def work(args: argparse.Namespace) -> dict:
    from upgradeflow.models.adapter import adapter_digest, save_adapter
    from upgradeflow.models.checkpoint import save_model
    from upgradeflow.registry.model_package import FORWARD_ADAPTER_FILE, MODEL_FILE, width_file
    from upgradeflow.registry.versions import load_package, resolve
    from upgradeflow.runtime import configure_torch
    from upgradeflow.store.object_store import join
    from upgradeflow.upgrade.run_files import read_json, run_prefix, upload, write_json
    from upgradeflow.upgrade.spec import UpgradeSpec, dataset_fingerprint, run_key
    from upgradeflow.upgrade.training import train_new_model

    spec = UpgradeSpec(
        method=args.method,
        weighting=args.weighting,
        widths=args.widths,
        dataset=args.dataset,
        scenario=args.scenario,
        quick=args.mode == "quick",
        seed=args.seed,
    )
    store = open_store(args)
    use_registry(args)
    old = resolve(args.old_model)
    old_model = load_package(old).model
    if args.gallery:
        check_gallery_dimension(store, args.gallery, old_model.config.embedding_dim, old.uri)
    data = load_data(args)
    key = run_key(spec, old.uri, dataset_fingerprint(data))
    record_key = join(run_prefix(key), "train.json")
    record = read_json(store, record_key)
    if record is not None:
        return {**_summary(record), "skipped": True}
    configure_torch(args.threads)
    trained = train_new_model(data, spec, old_model, progress=not args.no_progress)
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


def check_gallery_dimension(store, gallery_name: str, old_dimension: int, old_uri: str) -> None:
    """The adapter maps the old model's space; a gallery of another dimension cannot be
    evolved by it, and finding out after training wastes the run."""
    from upgradeflow.errors import UserInputError
    from upgradeflow.store.gallery import Gallery

    stored = Gallery(store, gallery_name).manifest()["dimension"]
    if stored != old_dimension:
        raise UserInputError(
            f"gallery '{gallery_name}' stores {stored}-d embeddings but {old_uri} embeds {old_dimension}-d: "
            "the forward adapter could not evolve it"
        )


def _summary(record: dict) -> dict:
    keys = ("run_key", "old_model", "adapter_sha256", "train_seconds")
    return {k: record[k] for k in keys}


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
