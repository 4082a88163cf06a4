"""Opening what steps work on: the store, the registry, a run's files, the dataset."""

from __future__ import annotations

import argparse

from upgradeflow.errors import UserInputError
from upgradeflow.store.object_store import ObjectStore


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
