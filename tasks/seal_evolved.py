"""Step 5c: verify the evolved version end to end (checksums, duplicate ids, schema)
and seal its manifest, so indexes are built only from a checked version."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_run
from upgradeflow.upgrade.sealing import seal_evolved


def build_parser() -> argparse.ArgumentParser:
    return _step.step_parser(__spec__.name, __doc__, _step.add_run_key, _step.add_gallery)


def work(args: argparse.Namespace) -> dict:
    return seal_evolved(open_run(args), args.gallery, progress=not args.no_progress)


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
