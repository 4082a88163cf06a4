"""What the step options name, opened: the store, the registry, a run, the data directory."""

from __future__ import annotations

import argparse
from pathlib import Path

from upgradeflow.store.object_store import ObjectStore


def open_store(args: argparse.Namespace) -> ObjectStore:
    from upgradeflow.store.location import open_store as open_uri

    return open_uri(args.store, endpoint_url=args.endpoint_url)


def use_registry(args: argparse.Namespace) -> None:
    from upgradeflow.registry.tracking import use_tracking

    use_tracking(args.tracking_uri)


def open_run(args: argparse.Namespace):
    """The upgrade run named by ``--run-key``, in the store named by ``--store``."""
    from upgradeflow.upgrade.run_context import UpgradeRun

    return UpgradeRun(open_store(args), args.run_key)


def data_dir(args: argparse.Namespace) -> Path:
    from upgradeflow.data import default_data_dir

    return Path(args.data_dir) if args.data_dir else default_data_dir()
