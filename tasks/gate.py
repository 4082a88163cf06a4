"""Step 4: the promotion gate. A failed rule stops the run (exit status 4) before
anything is committed; the reason goes to the log and onto the MLflow version and run."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_run, use_registry
from upgradeflow.upgrade.gate import GateThresholds, gate_run


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__, _step.add_run_key, _step.add_model_name)
    parser.add_argument("--require-compatible", choices=("true", "false"), default="true")
    parser.add_argument(
        "--compatibility-metrics", default="map@100,top1", help="new/old must beat old/old on each (comma-separated)"
    )
    parser.add_argument("--max-new-new-regression", type=float, default=0.0, help="mAP@100 points")
    parser.add_argument("--min-new-evolved", type=float, default=0.0, help="mAP@100")
    return parser


def work(args: argparse.Namespace) -> dict:
    thresholds = GateThresholds(
        require_compatible=args.require_compatible == "true",
        compatibility_metrics=tuple(m.strip() for m in args.compatibility_metrics.split(",") if m.strip()),
        max_new_new_regression=args.max_new_new_regression,
        min_new_evolved=args.min_new_evolved,
    )
    use_registry(args)
    return gate_run(open_run(args), args.model_name, thresholds)


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
