"""Step 7b (mapped): re-extract a lane of backfill shards from their sources with the
new model, in the planned order. Each shard is recorded as it finishes and then
published (checked, then named in the gallery's backfill marker by a conditional
write), so searches merge it and the backfilled fraction grows as lanes progress; a
retried lane skips its finished shards and publishes them again, which changes nothing."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_store
from tasks._fault import fail_once
from upgradeflow.cli.args import add_data_dir, add_threads
from upgradeflow.data import default_data_dir
from upgradeflow.upgrade.run_context import UpgradeRun


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__)
    _step.add_run_key(parser)
    _step.add_gallery(parser)
    parser.add_argument("--shards", required=True, help="N, N-M or N,M,...")
    add_data_dir(parser, "the sources' datasets")
    add_threads(parser)
    return parser


def work(args: argparse.Namespace) -> dict:
    from upgradeflow.backfill.extraction import backfill_shard
    from upgradeflow.backfill.progress import backfill_progress
    from upgradeflow.backfill.publication import publish_backfill
    from upgradeflow.data.sources import SourceResolver
    from upgradeflow.runtime import configure_torch
    from upgradeflow.upgrade.shard_plan import parse_shards

    store = open_store(args)
    run = UpgradeRun(store, args.run_key)
    gallery, target = run.backfill(args.gallery)
    shards = parse_shards(args.shards)
    if target.done:
        return {"target": target.target, "shards": shards, "written": [], "fraction": 1.0, "done": True}
    configure_torch(args.threads)
    model = run.new_model()
    resolver = SourceResolver(args.data_dir or default_data_dir(), progress=not args.no_progress)
    written = []
    for position, index in enumerate(shards):
        _, worked = backfill_shard(gallery, target.target, index, model, resolver, progress=not args.no_progress)
        publish_backfill(gallery, target.target, [index])
        if worked:
            written.append(index)
        if position == 0:
            fail_once("backfill_shard")
    fraction = backfill_progress(gallery, target.target).fraction
    return {"target": target.target, "shards": shards, "written": written, "fraction": fraction, "done": False}


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
