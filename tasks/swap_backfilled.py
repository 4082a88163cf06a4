"""Step 7d: make the backfilled gallery and its index live, each with one atomic pointer
update (the gallery only while the evolved version it replaces is still live)."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import hold_lease, open_store
from upgradeflow.upgrade.make_live import make_live
from upgradeflow.upgrade.run_context import UpgradeRun


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__)
    _step.add_run_key(parser)
    _step.add_gallery(parser)
    _step.add_index_arguments(parser)
    _step.add_lease_owner(parser)
    return parser


def work(args: argparse.Namespace) -> dict:
    from upgradeflow.index.sharded import IndexCatalog, index_version_name

    store = open_store(args)
    gallery, target = UpgradeRun(store, args.run_key).backfill(args.gallery)
    catalog = IndexCatalog(store, args.index)
    index_version = index_version_name(target.target, _step.index_spec(args.index_kind))
    hold_lease(gallery, args.lease_owner)
    return make_live(gallery, catalog, target.target, index_version)


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
