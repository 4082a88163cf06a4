"""A deployment's starting point, for demos and tests: train the first model, register
it as ``champion``, extract the gallery with it into a committed version and make its
index live. Each part is skipped when it already exists."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import data_dir, open_store, use_registry
from upgradeflow.cli.args import add_threads
from upgradeflow.upgrade.bootstrap import Deployment, bootstrap
from upgradeflow.upgrade.spec import UpgradeSpec


def build_parser() -> argparse.ArgumentParser:
    options = (_step.add_model_name, _step.add_data_arguments, _step.add_gallery, _step.add_index_arguments)
    parser = _step.step_parser(__spec__.name, __doc__, *options)
    parser.add_argument("--gallery-shards", type=int, default=4, help="shards of the extracted gallery")
    _step.add_lease_owner(parser)
    add_threads(parser)
    return parser


def work(args: argparse.Namespace) -> dict:
    spec = UpgradeSpec(dataset=args.dataset, scenario=args.scenario, quick=args.mode == "quick", seed=args.seed)
    deployment = Deployment(
        args.model_name, args.gallery, args.index, _step.index_spec(args.index_kind), args.gallery_shards
    )
    use_registry(args)
    return bootstrap(
        open_store(args), spec, deployment, data_dir(args), args.lease_owner, progress=not args.no_progress
    )


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
