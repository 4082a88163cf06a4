"""Step 3: log the run to MLflow and register the new model and its adapter as one
version with the alias ``challenger`` (``upgradeflow.upgrade.registration``)."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_store, use_registry


def build_parser() -> argparse.ArgumentParser:
    return _step.step_parser(__spec__.name, __doc__, _step.add_run_key, _step.add_model_name)


def work(args: argparse.Namespace) -> dict:
    from upgradeflow.upgrade.registration import register_run
    from upgradeflow.upgrade.run_context import UpgradeRun

    store = open_store(args)
    use_registry(args)
    return register_run(UpgradeRun(store, args.run_key), args.model_name)


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
