"""The rollback DAG's first step: which gallery and index the last promotion changed and
which of their versions are live now. It moves nothing; the rollback step acts on these
observed versions only (``--expect-gallery``, ``--expect-index``), so a pointer another
run moved meanwhile is refused, not stepped back from."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_store, use_registry
from upgradeflow.upgrade.rollback import PromotedUpgrade


def build_parser() -> argparse.ArgumentParser:
    return _step.step_parser(__spec__.name, __doc__, _step.add_model_name)


def work(args: argparse.Namespace) -> dict:
    use_registry(args)
    return PromotedUpgrade.of(open_store(args), args.model_name).live()


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
