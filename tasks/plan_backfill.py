"""Step 7a: plan the backfill of the evolved gallery (now live): compute the order once,
store it with the backfill's staged version, and return the lanes of backfill shards the
mapped step fans out over (empty when the backfill is already live). A re-run resumes
the stored order; asking for another order then is refused."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_store, use_registry
from upgradeflow.upgrade.run_context import UpgradeRun


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__)
    _step.add_run_key(parser)
    _step.add_model_name(parser)
    _step.add_gallery(parser)
    parser.add_argument("--backfill-order", default="worst-first", help="worst-first, residual-first or random")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random order")
    parser.add_argument("--shard-concurrency", type=int, default=4, help="lanes running at once")
    parser.add_argument("--max-map-length", type=int, default=1024, help="most mapped task instances")
    return parser


def work(args: argparse.Namespace) -> list[dict]:
    from upgradeflow.backfill.extraction import model_digest
    from upgradeflow.backfill.ordering import check_policy
    from upgradeflow.backfill.planning import BackfillRequest, plan_backfill
    from upgradeflow.errors import UserInputError
    from upgradeflow.registry.versions import find_version
    from upgradeflow.upgrade.shard_plan import lane_label, plan_lanes

    check_policy(args.backfill_order)
    store = open_store(args)
    run = UpgradeRun(store, args.run_key)
    gallery, target = run.backfill(args.gallery)
    if target.done:
        return []
    use_registry(args)
    registered = find_version(args.model_name, args.run_key)
    if registered is None:
        raise UserInputError(f"run {args.run_key}: no registered version of {args.model_name}")
    model = run.new_model()
    request = BackfillRequest(
        registered.uri, model_digest(model), model.config.embedding_dim, args.backfill_order, args.seed
    )
    plan = plan_backfill(
        gallery, target.source, target.target, request, resume_policy=args.backfill_order, progress=not args.no_progress
    )
    lanes = plan_lanes(plan.shards, args.shard_concurrency, args.max_map_length)
    return [{"shards": lane_label(lane), "source": target.source, "target": target.target} for lane in lanes]


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
