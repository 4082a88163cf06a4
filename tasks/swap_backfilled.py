"""Step 7d: make the backfilled gallery and its index live, each with one atomic pointer
update (the gallery only while the evolved version it replaces is still live)."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_run
from upgradeflow.upgrade.make_live import swap_backfilled


def build_parser() -> argparse.ArgumentParser:
    return _step.step_parser(__spec__.name, __doc__, *_step.POINTER_MOVE)


def work(args: argparse.Namespace) -> dict:
    spec = _step.index_spec(args.index_kind)
    return swap_backfilled(open_run(args), args.gallery, args.index, spec, args.lease_owner)


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
