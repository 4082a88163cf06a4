"""The rollback DAG's step: undo the last promotion. Each pointer (index, then gallery)
steps back past every version that upgrade made live (its backfilled version, then its
evolved one) in one compare-and-swap from the version observed live, and the
``champion`` alias moves last. With ``--expect-gallery``/``--expect-index`` (what the
DAG's ``plan_rollback`` saw) a pointer still showing the upgrade's versions moves only
from the expected one; one that shows none of them was rolled back already (an earlier
try of this step) and is left alone, so a retried rollback finishes instead of
stepping back too far."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import hold_lease, promoted_upgrade


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__)
    _step.add_model_name(parser)
    parser.add_argument("--expect-gallery", help="the gallery version observed live (exit 3 if it moved since)")
    parser.add_argument("--expect-index", help="the index version observed live (exit 3 if it moved since)")
    _step.add_lease_owner(parser)
    return parser


def work(args: argparse.Namespace) -> dict:
    from upgradeflow.registry.versions import CHAMPION, ModelRef, set_alias, tag_version

    champion, tags, previous, gallery, catalog = promoted_upgrade(args)
    hold_lease(gallery, args.lease_owner)
    moved = []
    for name, series, expected in (("index", catalog, args.expect_index), ("gallery", gallery, args.expect_gallery)):
        made_live = {tags[f"upgradeflow.{name}_version"], tags.get(f"upgradeflow.{name}_evolved")} - {None}
        history = series.pointer().history
        steps = next((n for n, version in enumerate(reversed(history)) if version not in made_live), len(history))
        if steps:
            series.rollback(expected or history[-1], steps=steps)
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
