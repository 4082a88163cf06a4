"""Step 8: move the ``champion`` alias to the challenger once its backfilled gallery is
live, tagged with the gallery and index versions the upgrade made live (evolved, then
backfilled), the ones it replaced and the champion it replaced (what rollback restores)."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_store, use_registry
from upgradeflow.upgrade.run_context import UpgradeRun


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__)
    _step.add_run_key(parser)
    _step.add_model_name(parser)
    _step.add_gallery(parser)
    _step.add_index_arguments(parser)
    return parser


def work(args: argparse.Namespace) -> dict:
    from upgradeflow.errors import UserInputError
    from upgradeflow.index.sharded import index_version_name
    from upgradeflow.registry.versions import CHAMPION, alias_version, find_version, set_alias, tag_version

    store = open_store(args)
    use_registry(args)
    gallery, target = UpgradeRun(store, args.run_key).backfill(args.gallery)
    if not target.done:
        raise UserInputError(f"{gallery.where()}: {target.target} is not live; swap the backfill in before promoting")
    challenger = find_version(args.model_name, args.run_key)
    if challenger is None:
        raise UserInputError(f"run {args.run_key}: no registered version of {args.model_name}")
    champion = alias_version(args.model_name, CHAMPION)
    if champion == challenger.version:
        return {"champion": challenger.uri, "changed": False}
    spec = _step.index_spec(args.index_kind)
    tag_version(
        challenger,
        {
            "upgradeflow.gallery": args.gallery,
            "upgradeflow.gallery_version": target.target,
            "upgradeflow.gallery_evolved": target.source,
            "upgradeflow.gallery_parent": target.before,
            "upgradeflow.index": args.index,
            "upgradeflow.index_version": index_version_name(target.target, spec),
            "upgradeflow.index_evolved": index_version_name(target.source, spec),
            "upgradeflow.previous_champion": champion or "",
        },
    )
    set_alias(challenger, CHAMPION)
    return {"champion": challenger.uri, "previous_champion": champion, "changed": True}


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
