"""Step 5a: which gallery version the upgrade evolves, and the lanes of shards the
mapped steps fan out over (empty when the evolved version is already live)."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_run
from upgradeflow.upgrade.lanes import plan_evolution_lanes


def build_parser() -> argparse.ArgumentParser:
    return _step.step_parser(__spec__.name, __doc__, _step.add_run_key, _step.add_gallery, _step.add_lanes)


def work(args: argparse.Namespace) -> list[dict]:
    return plan_evolution_lanes(open_run(args), args.gallery, args.shard_concurrency, args.max_map_length)


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
