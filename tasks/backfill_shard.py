"""Step 7b (mapped): re-extract a lane of backfill shards from their sources with the
new model, in the planned order. Each shard is recorded as it finishes and then
published (checked, then named in the gallery's backfill marker by a conditional
write), so searches merge it and the backfilled fraction grows as lanes progress; a
retried lane skips its finished shards and publishes them again, which changes nothing."""

from __future__ import annotations

import argparse
import sys
from functools import partial

from tasks import _step
from tasks._context import data_dir, open_run
from upgradeflow.cli.args import add_data_dir, add_threads
from upgradeflow.upgrade.lanes import backfill_lane
from upgradeflow.upgrade.shard_plan import parse_shards


def build_parser() -> argparse.ArgumentParser:
    data_dir = partial(add_data_dir, what="the sources' datasets")
    options = (_step.add_run_key, _step.add_gallery, _step.add_shards, data_dir, add_threads)
    return _step.step_parser(__spec__.name, __doc__, *options)


def work(args: argparse.Namespace) -> dict:
    shards = parse_shards(args.shards)
    return backfill_lane(open_run(args), args.gallery, shards, data_dir(args), progress=not args.no_progress)


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
