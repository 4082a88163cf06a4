"""Step 7c: once every backfill shard is written, verify and seal the backfilled version
(checksums, duplicate ids, schema) and build its FAISS index, ready to swap in."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_run
from upgradeflow.upgrade.sealing import seal_backfilled


def build_parser() -> argparse.ArgumentParser:
    return _step.step_parser(__spec__.name, __doc__, _step.add_run_key, _step.add_gallery, _step.add_index_arguments)


def work(args: argparse.Namespace) -> dict:
    spec = _step.index_spec(args.index_kind)
    return seal_backfilled(open_run(args), args.gallery, args.index, spec, progress=not args.no_progress)


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
