"""Step 6b: make the evolved gallery and its index live: seal the index, commit the
gallery (only if the version it was evolved from is still live), swap the index."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_run
from upgradeflow.upgrade.make_live import commit_evolved


def build_parser() -> argparse.ArgumentParser:
    return _step.step_parser(__spec__.name, __doc__, *_step.POINTER_MOVE)


def work(args: argparse.Namespace) -> dict:
    spec = _step.index_spec(args.index_kind)
    return commit_evolved(open_run(args), args.gallery, args.index, spec, args.lease_owner)


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
