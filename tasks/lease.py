"""The first and the last step of every DAG: take this run's lease on the gallery, or
release it. While one run holds it, another run's ``take`` exits 3 (conflict), so the
upgrade, rollback and bootstrap runs of one gallery never overlap; a run that dies
without releasing it loses it after ``--ttl-s``."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_store
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.lease import apply_lease

DEFAULT_TTL_S = 6 * 3600


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__)
    parser.add_argument("action", choices=("take", "release"))
    _step.add_gallery(parser)
    parser.add_argument("--owner", required=True, help="the run taking or releasing the lease")
    parser.add_argument(
        "--ttl-s",
        type=float,
        default=DEFAULT_TTL_S,
        help="seconds the lease lasts unless renewed (each pointer-moving step renews it)",
    )
    return parser


def work(args: argparse.Namespace) -> dict:
    return apply_lease(Gallery(open_store(args), args.gallery), args.action, args.owner, args.ttl_s)


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
