"""Step 1: train the new model against the frozen old one, with its forward adapter
(trained jointly by DMU, fitted afterwards otherwise); SFSC also saves every width."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import data_dir, open_store, use_registry
from upgradeflow.cli.args import add_threads
from upgradeflow.upgrade.challenger import train_challenger
from upgradeflow.upgrade.spec import UpgradeSpec


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__)
    parser.add_argument("--old-model", required=True, help="models:/NAME@ALIAS or models:/NAME/VERSION")
    parser.add_argument("--method", default="dmu", help="dmu, bct, independent or sfsc")
    parser.add_argument("--weighting", default="posterior", help="DMU weights: posterior, entropy or margin")
    parser.add_argument(
        "--widths", type=_step.widths, default=(1.0, 0.75, 0.5, 0.25), help="SFSC widths, descending, in (0, 1]"
    )
    parser.add_argument(
        "--gallery", help="the live gallery the adapter will evolve; its dimension is checked before training"
    )
    _step.add_data_arguments(parser)
    add_threads(parser)
    return parser


def work(args: argparse.Namespace) -> dict:
    spec = UpgradeSpec(
        method=args.method,
        weighting=args.weighting,
        widths=args.widths,
        dataset=args.dataset,
        scenario=args.scenario,
        quick=args.mode == "quick",
        seed=args.seed,
    )
    use_registry(args)
    return train_challenger(
        open_store(args), spec, args.old_model, data_dir(args), args.gallery, progress=not args.no_progress
    )


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
