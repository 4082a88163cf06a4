"""Step 5b (mapped): stream a lane of gallery shards through the forward adapter into
the evolved version. A retried lane skips the shards it finished."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_store
from tasks._fault import fail_once
from upgradeflow.cli.args import add_threads
from upgradeflow.upgrade.run_context import UpgradeRun


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__)
    _step.add_run_key(parser)
    _step.add_gallery(parser)
    parser.add_argument("--shards", required=True, help="N, N-M or N,M,...")
    add_threads(parser)
    return parser


def work(args: argparse.Namespace) -> dict:
    from upgradeflow.registry.model_package import FORWARD_ADAPTER_FILE
    from upgradeflow.runtime import configure_torch
    from upgradeflow.upgrade.evolve import evolve_shard
    from upgradeflow.upgrade.shard_plan import parse_shards

    store = open_store(args)
    run = UpgradeRun(store, args.run_key)
    gallery, target = run.evolution(args.gallery)
    shards = parse_shards(args.shards)
    if target.done:
        return {"target": target.target, "shards": shards, "written": [], "done": True}
    configure_torch(args.threads)
    adapter = run.files / f"{FORWARD_ADAPTER_FILE}.pt"
    written = []
    for position, index in enumerate(shards):
        _, _, worked = evolve_shard(
            gallery, adapter, target.source, index, target.target, progress=not args.no_progress
        )
        if worked:
            written.append(index)
        if position == 0:
            fail_once("evolve_shard")
    return {"target": target.target, "shards": shards, "written": written, "done": False}


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
