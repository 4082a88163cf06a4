"""Step 6a (mapped): the FAISS index of a lane of evolved shards."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_run
from upgradeflow.upgrade.lanes import build_index_lane
from upgradeflow.upgrade.shard_plan import parse_shards


def build_parser() -> argparse.ArgumentParser:
    options = (_step.add_run_key, _step.add_gallery, _step.add_index_arguments, _step.add_shards)
    return _step.step_parser(__spec__.name, __doc__, *options)


def work(args: argparse.Namespace) -> dict:
    spec = _step.index_spec(args.index_kind)
    return build_index_lane(open_run(args), args.gallery, args.index, spec, parse_shards(args.shards))


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
