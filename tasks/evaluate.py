"""Step 2: the cross-model matrix of the trained challenger against the current champion."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import data_dir, open_run, use_registry
from upgradeflow.cli.args import add_data_dir, add_threads
from upgradeflow.upgrade.run_evaluation import evaluate_run


def build_parser() -> argparse.ArgumentParser:
    return _step.step_parser(__spec__.name, __doc__, _step.add_run_key, _step.add_model_name, add_data_dir, add_threads)


def work(args: argparse.Namespace) -> dict:
    use_registry(args)
    return evaluate_run(open_run(args), args.model_name, data_dir(args), progress=not args.no_progress)


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
