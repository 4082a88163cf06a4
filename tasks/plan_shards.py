"""Step 5a: which gallery version the upgrade evolves, and the lanes of shards the
mapped steps fan out over (empty when the evolved version is already live)."""

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
    parser.add_argument("--shard-concurrency", type=int, default=4, help="lanes running at once")
    parser.add_argument("--max-map-length", type=int, default=1024, help="most mapped task instances")
    return parser


def work(args: argparse.Namespace) -> list[dict]:
    from upgradeflow.store.gallery import Gallery
    from upgradeflow.upgrade.evolution import evolution_target
    from upgradeflow.upgrade.shard_plan import lane_label, plan_lanes

    store = open_store(args)
    record = UpgradeRun(store, args.run_key).record
    gallery = Gallery(store, args.gallery)
    target = evolution_target(gallery, record["adapter_sha256"])
    if target.done:
        return []
    shards = len(gallery.manifest(target.source)["shards"])
    lanes = plan_lanes(shards, args.shard_concurrency, args.max_map_length)
    return [{"shards": lane_label(lane), "source": target.source, "target": target.target} for lane in lanes]


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
