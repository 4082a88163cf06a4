"""Step 6b: make the evolved gallery and its index live: seal the index, commit the
gallery (only if the version it was evolved from is still live), swap the index."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import hold_lease, open_store
from upgradeflow.upgrade.run_context import UpgradeRun


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__)
    _step.add_run_key(parser)
    _step.add_gallery(parser)
    _step.add_index_arguments(parser)
    _step.add_lease_owner(parser)
    return parser


def work(args: argparse.Namespace) -> dict:
    from upgradeflow.errors import UserInputError
    from upgradeflow.index.sharded import IndexCatalog, index_version_name
    from upgradeflow.upgrade.make_live import make_live

    store = open_store(args)
    gallery, target = UpgradeRun(store, args.run_key).evolution(args.gallery)
    catalog = IndexCatalog(store, args.index)
    if target.backfilled:  # its backfill replaced it: making it live again would undo that
        live = (gallery.pointer().current, catalog.pointer().current)
        return {"gallery_version": live[0], "index_version": live[1], "changed": False}
    spec = _step.index_spec(args.index_kind)
    index_version = index_version_name(target.target, spec)
    if catalog.seal(gallery, target.target, index_version, spec) is None:
        raise UserInputError(f"{catalog.where(index_version)}: not every shard is indexed yet")
    hold_lease(gallery, args.lease_owner)
    return make_live(gallery, catalog, target.target, index_version)


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
