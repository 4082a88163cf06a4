"""The rollback DAG's step: undo the last promotion (``upgradeflow.upgrade.rollback``).
``--expect-gallery``/``--expect-index`` are what the DAG's ``plan_rollback`` saw live: a
pointer moved since then is a conflict (exit 3), and a retried rollback finishes instead
of stepping back too far."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_store, use_registry
from upgradeflow.upgrade.rollback import PromotedUpgrade, roll_back


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__, _step.add_model_name)
    parser.add_argument("--expect-gallery", help="the gallery version observed live (exit 3 if it moved since)")
    parser.add_argument("--expect-index", help="the index version observed live (exit 3 if it moved since)")
    _step.add_lease_owner(parser)
    return parser


def work(args: argparse.Namespace) -> dict:
    use_registry(args)
    upgrade = PromotedUpgrade.of(open_store(args), args.model_name)
    return roll_back(upgrade, args.expect_gallery, args.expect_index, args.lease_owner)


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
