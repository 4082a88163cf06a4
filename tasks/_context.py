"""Opening what steps work on: the store, the registry, a run's files, the dataset."""

from __future__ import annotations

import argparse
from pathlib import Path

from upgradeflow.errors import UserInputError
from upgradeflow.store.object_store import ObjectStore, join


def open_store(args: argparse.Namespace) -> ObjectStore:
    from upgradeflow.store.location import open_store as open_uri

    return open_uri(args.store, endpoint_url=args.endpoint_url)


def use_registry(args: argparse.Namespace) -> None:
    from upgradeflow.registry.tracking import use_tracking

    use_tracking(args.tracking_uri)


def load_data(args: argparse.Namespace):
    from upgradeflow.data import default_data_dir
    from upgradeflow.data.registry import load_dataset

    return load_dataset(args.dataset, args.data_dir or default_data_dir(), progress=not args.no_progress)


def hold_lease(gallery, owner: str | None) -> None:
    """Renew ``owner``'s lease on ``gallery`` before a pointer move (no lease: nothing to
    do); ``ConflictError`` when another run holds it, so a run that lost it moves nothing."""
    from upgradeflow.store.lease import GalleryLease

    if owner is not None:
        GalleryLease(gallery).renew(owner)


def promoted_upgrade(args: argparse.Namespace):
    """What a rollback undoes: the champion, its tags, the champion it replaced, and the
    gallery and index its upgrade changed. A champion no upgrade promoted has nothing to
    roll back to."""
    from upgradeflow.index.sharded import IndexCatalog
    from upgradeflow.registry.versions import CHAMPION, resolve, tags_of
    from upgradeflow.store.gallery import Gallery

    store = open_store(args)
    use_registry(args)
    champion = resolve(f"models:/{args.model_name}@{CHAMPION}")
    tags = tags_of(champion)
    previous = tags.get("upgradeflow.previous_champion")
    if not previous:
        raise UserInputError(f"{champion.uri}: was not promoted by an upgrade; nothing to roll back")
    gallery = Gallery(store, tags["upgradeflow.gallery"])
    return champion, tags, previous, gallery, IndexCatalog(store, tags["upgradeflow.index"])


def finished_run(store: ObjectStore, key: str) -> dict:
    """The train step's record of run ``key``; an unknown key is the caller's mistake."""
    from upgradeflow.upgrade.run_files import read_json, run_prefix

    record = read_json(store, join(run_prefix(key), "train.json"))
    if record is None:
        raise UserInputError(f"{store.uri}/{run_prefix(key)}: no finished training run with this key")
    return record


def run_files(store: ObjectStore, key: str) -> Path:
    """Download a run's checkpoints into a scratch directory that goes when the step ends."""
    from upgradeflow.scratch import scratch_for_process
    from upgradeflow.upgrade.run_files import download, run_prefix

    record = finished_run(store, key)
    return download(store, run_prefix(key), record["files"], scratch_for_process(key))


def evolution(store: ObjectStore, key: str, gallery_name: str):
    """The gallery, and which version run ``key`` evolves into which."""
    from upgradeflow.store.gallery import Gallery
    from upgradeflow.upgrade.evolution import evolution_target

    gallery = Gallery(store, gallery_name)
    return gallery, evolution_target(gallery, finished_run(store, key)["adapter_sha256"])


def backfill(store: ObjectStore, key: str, gallery_name: str):
    """The gallery, and which evolved version run ``key`` backfills into which."""
    from upgradeflow.store.gallery import Gallery
    from upgradeflow.upgrade.backfill import backfill_target

    gallery = Gallery(store, gallery_name)
    return gallery, backfill_target(gallery, finished_run(store, key)["adapter_sha256"], key)


def new_model(store: ObjectStore, key: str):
    """Run ``key``'s new embedding model, loaded from its checkpoint in the store."""
    from upgradeflow.models.checkpoint import load_model
    from upgradeflow.registry.model_package import MODEL_FILE

    return load_model(run_files(store, key) / f"{MODEL_FILE}.pt")


def promoted_version(model_name: str, key: str):
    """The registered version of run ``key`` when it is already the champion, else None:
    a promoted run is finished, and re-running it must change nothing."""
    from upgradeflow.registry.versions import CHAMPION, alias_version, find_version
    from upgradeflow.upgrade.run_files import check_run_key

    version = find_version(model_name, check_run_key(key))
    if version is not None and alias_version(model_name, CHAMPION) == version.version:
        return version
    return None
