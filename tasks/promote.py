"""Step 8: move the ``champion`` alias to the challenger once its backfilled gallery is
live, tagged with the gallery and index versions the upgrade made live (evolved, then
backfilled), the ones it replaced and the champion it replaced (what rollback restores)."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_run, use_registry
from upgradeflow.upgrade.promotion import promote_run


def build_parser() -> argparse.ArgumentParser:
    options = (_step.add_run_key, _step.add_model_name, _step.add_gallery, _step.add_index_arguments)
    return _step.step_parser(__spec__.name, __doc__, *options)


def work(args: argparse.Namespace) -> dict:
    use_registry(args)
    return promote_run(open_run(args), args.model_name, args.gallery, args.index, _step.index_spec(args.index_kind))


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
