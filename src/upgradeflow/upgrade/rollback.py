"""Undoing the last promotion. Each pointer (index, then gallery) steps back past every
version that upgrade made live (its backfilled version, then its evolved one) in one
compare-and-swap from the version observed live, and the ``champion`` alias moves last.
Given the versions observed live when the rollback was planned, a pointer still showing
the upgrade's versions moves only from those; one showing none of them was rolled back
already (an earlier try) and is left alone, so a retried rollback finishes instead of
stepping back too far."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from upgradeflow.errors import UserInputError
from upgradeflow.index.sharded import IndexCatalog
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.lease import hold_lease
from upgradeflow.store.object_store import ObjectStore

if TYPE_CHECKING:
    from upgradeflow.registry.versions import ModelRef


@dataclass(frozen=True)
class PromotedUpgrade:
    """What a rollback undoes: the champion, its tags, the champion it replaced, and the
    gallery and index its upgrade changed."""

    champion: ModelRef
    tags: dict[str, str]
    previous: str
    gallery: Gallery
    catalog: IndexCatalog

    @classmethod
    def of(cls, store: ObjectStore, model_name: str) -> PromotedUpgrade:
        """The current champion's upgrade (tracking already chosen); a champion no upgrade
        promoted has nothing to roll back to."""
        from upgradeflow.registry.versions import CHAMPION, resolve, tags_of

        champion = resolve(f"models:/{model_name}@{CHAMPION}")
        tags = tags_of(champion)
        previous = tags.get("upgradeflow.previous_champion")
        if not previous:
            raise UserInputError(f"{champion.uri}: was not promoted by an upgrade; nothing to roll back")
        gallery = Gallery(store, tags["upgradeflow.gallery"])
        return cls(champion, tags, previous, gallery, IndexCatalog(store, tags["upgradeflow.index"]))

    def live(self) -> dict:
        """What the rollback plan records: the champion and the versions live now."""
        return {
            "champion": self.champion.uri,
            "gallery": self.gallery.name,
            "index": self.catalog.name,
            "gallery_version": self.gallery.pointer().current,
            "index_version": self.catalog.pointer().current,
        }


def roll_back(
    upgrade: PromotedUpgrade,
    expect_gallery: str | None = None,
    expect_index: str | None = None,
    lease_owner: str | None = None,
) -> dict:
    from upgradeflow.registry.versions import CHAMPION, ModelRef, set_alias, tag_version

    hold_lease(upgrade.gallery, lease_owner)
    moved = []
    for name, series, expected in (
        ("index", upgrade.catalog, expect_index),
        ("gallery", upgrade.gallery, expect_gallery),
    ):
        made_live = {upgrade.tags[f"upgradeflow.{name}_version"], upgrade.tags.get(f"upgradeflow.{name}_evolved")}
        made_live -= {None}
        history = series.pointer().history
        steps = next((n for n, version in enumerate(reversed(history)) if version not in made_live), len(history))
        if steps:
            series.rollback(expected or history[-1], steps=steps)
            moved.append(name)
    model_name = upgrade.champion.name
    tag_version(upgrade.champion, {"upgradeflow.rolled_back": "true"})
    set_alias(ModelRef(model_name, upgrade.previous), CHAMPION)
    return {
        "champion": f"models:/{model_name}/{upgrade.previous}",
        "rolled_back": upgrade.champion.uri,
        "gallery_version": upgrade.gallery.pointer().current,
        "index_version": upgrade.catalog.pointer().current,
        "moved": moved,
    }
