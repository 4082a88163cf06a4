"""Step 5a: which gallery version the upgrade evolves, and the lanes of shards the
mapped steps fan out over (empty when the evolved version is already live)."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_run
from upgradeflow.upgrade.lanes import plan_evolution_lanes


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__)
    _step.add_run_key(parser)
    _step.add_gallery(parser)
    parser.add_argument("--shard-concurrency", type=int, default=4, help="lanes running at once")
    parser.add_argument("--max-map-length", type=int, default=1024, help="most mapped task instances")
    return parser


def work(args: argparse.Namespace) -> list[dict]:
    return plan_evolution_lanes(open_run(args), args.gallery, args.shard_concurrency, args.max_map_length)


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
