"""Step 7c: once every backfill shard is written, verify and seal the backfilled version
(checksums, duplicate ids, schema) and build its FAISS index, ready to swap in."""

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
    return parser


def work(args: argparse.Namespace) -> dict:
    from upgradeflow.index.sharded import IndexCatalog, index_version_name

    store = open_store(args)
    gallery, target = UpgradeRun(store, args.run_key).backfill(args.gallery)
    manifest = gallery.seal(target.target, progress=not args.no_progress)
    spec = _step.index_spec(args.index_kind)
    version, _ = IndexCatalog(store, args.index).build(
        gallery, target.target, index_version_name(target.target, spec), spec, progress=not args.no_progress
    )
    return {"version": target.target, "rows": manifest["rows"], "index_version": version}


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
