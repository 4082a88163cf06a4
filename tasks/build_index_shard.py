"""Step 6a (mapped): the FAISS index of a lane of evolved shards."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_store
from upgradeflow.upgrade.run_context import UpgradeRun


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__)
    _step.add_run_key(parser)
    _step.add_gallery(parser)
    _step.add_index_arguments(parser)
    parser.add_argument("--shards", required=True, help="N, N-M or N,M,...")
    return parser


def work(args: argparse.Namespace) -> dict:
    from upgradeflow.index.sharded import IndexCatalog, index_version_name
    from upgradeflow.upgrade.shard_plan import parse_shards

    store = open_store(args)
    gallery, target = UpgradeRun(store, args.run_key).evolution(args.gallery)
    spec = _step.index_spec(args.index_kind)
    catalog = IndexCatalog(store, args.index)
    version = index_version_name(target.target, spec)
    built = [
        index
        for index in parse_shards(args.shards)
        if not catalog.is_sealed(version) and catalog.build_shard(gallery, target.target, version, index, spec)
    ]
    return {"version": version, "built": built}


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
