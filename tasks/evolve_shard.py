"""Step 5b (mapped): stream a lane of gallery shards through the forward adapter into
the evolved version. A retried lane skips the shards it finished."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_run
from upgradeflow.cli.args import add_threads
from upgradeflow.upgrade.lanes import evolve_lane
from upgradeflow.upgrade.shard_plan import parse_shards


def build_parser() -> argparse.ArgumentParser:
    options = (_step.add_run_key, _step.add_gallery, _step.add_shards, add_threads)
    return _step.step_parser(__spec__.name, __doc__, *options)


def work(args: argparse.Namespace) -> dict:
    return evolve_lane(open_run(args), args.gallery, parse_shards(args.shards), progress=not args.no_progress)


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
