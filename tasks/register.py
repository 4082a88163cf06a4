"""Step 3: log the run to MLflow and register the new model and its adapter as one
version with the alias ``challenger`` (``upgradeflow.upgrade.registration``)."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_run, use_registry
from upgradeflow.upgrade.registration import register_run


def build_parser() -> argparse.ArgumentParser:
    return _step.step_parser(__spec__.name, __doc__, _step.add_run_key, _step.add_model_name)


def work(args: argparse.Namespace) -> dict:
    use_registry(args)
    return register_run(open_run(args), args.model_name)


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
