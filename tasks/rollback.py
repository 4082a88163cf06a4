"""The rollback DAG's step: undo the last promotion. The gallery and index pointers step
back only while they still point at a version that upgrade made live (its backfilled
version, then its evolved one), and the ``champion`` alias moves last, so a retried
rollback finishes instead of stepping back too far."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_store, use_registry


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__)
    _step.add_model_name(parser)
    return parser


def work(args: argparse.Namespace) -> dict:
    from upgradeflow.errors import UserInputError
    from upgradeflow.index.sharded import IndexCatalog
    from upgradeflow.registry.versions import CHAMPION, ModelRef, resolve, set_alias, tag_version, tags_of
    from upgradeflow.store.gallery import Gallery

    store = open_store(args)
    use_registry(args)
    champion = resolve(f"models:/{args.model_name}@{CHAMPION}")
    tags = tags_of(champion)
    previous = tags.get("upgradeflow.previous_champion")
    if not previous:
        raise UserInputError(f"{champion.uri}: was not promoted by an upgrade; nothing to roll back")
    gallery = Gallery(store, tags["upgradeflow.gallery"])
    catalog = IndexCatalog(store, tags["upgradeflow.index"])
    moved = []
    for name, series in (("index", catalog), ("gallery", gallery)):
        made_live = {tags[f"upgradeflow.{name}_version"], tags.get(f"upgradeflow.{name}_evolved")} - {None}
        while series.pointer().current in made_live:
            series.rollback()
            moved.append(name)
    tag_version(champion, {"upgradeflow.rolled_back": "true"})
    set_alias(ModelRef(args.model_name, previous), CHAMPION)
    return {
        "champion": f"models:/{args.model_name}/{previous}",
        "rolled_back": champion.uri,
        "gallery_version": gallery.pointer().current,
        "index_version": catalog.pointer().current,
        "moved": moved,
    }


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
