"""Step 7a: plan the backfill of the evolved gallery (now live): compute the order once,
store it with the backfill's staged version, and return the lanes of backfill shards the
mapped step fans out over (empty when the backfill is already live). A re-run resumes
the stored order; asking for another order then is refused."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_run, use_registry
from upgradeflow.upgrade.lanes import plan_backfill_lanes


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__, _step.add_run_key, _step.add_model_name, _step.add_gallery)
    parser.add_argument("--backfill-order", default="worst-first", help="worst-first, residual-first or random")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random order")
    _step.add_lanes(parser)
    return parser


def work(args: argparse.Namespace) -> list[dict]:
    use_registry(args)
    return plan_backfill_lanes(
        open_run(args), args.gallery, args.model_name, args.backfill_order, args.seed,
        args.shard_concurrency, args.max_map_length, progress=not args.no_progress,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
