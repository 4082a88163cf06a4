"""The last step of an upgrade: once its backfill is live, the run's registered version
becomes the champion, tagged with the gallery and index versions it made live and the
champion it replaced, which is all a rollback needs to undo it."""

from __future__ import annotations

from upgradeflow.errors import UserInputError
from upgradeflow.index.spec import IndexSpec
from upgradeflow.upgrade.run_context import UpgradeRun


def promote_run(run: UpgradeRun, model_name: str, gallery_name: str, index_name: str, spec: IndexSpec) -> dict:
    """Point ``champion`` at the run's version (tracking already chosen); promoting it
    again changes nothing."""
    from upgradeflow.index.sharded import index_version_name
    from upgradeflow.registry.versions import CHAMPION, alias_version, find_version, set_alias, tag_version

    gallery, target = run.backfill(gallery_name)
    if not target.done:
        raise UserInputError(f"{gallery.where()}: {target.target} is not live; swap the backfill in before promoting")
    challenger = find_version(model_name, run.key)
    if challenger is None:
        raise UserInputError(f"run {run.key}: no registered version of {model_name}")
    champion = alias_version(model_name, CHAMPION)
    if champion == challenger.version:
        return {"champion": challenger.uri, "changed": False}
    tag_version(
        challenger,
        {
            "upgradeflow.gallery": gallery_name,
            "upgradeflow.gallery_version": target.target,
            "upgradeflow.gallery_evolved": target.source,
            "upgradeflow.gallery_parent": target.before,
            "upgradeflow.index": index_name,
            "upgradeflow.index_version": index_version_name(target.target, spec),
            "upgradeflow.index_evolved": index_version_name(target.source, spec),
            "upgradeflow.previous_champion": champion or "",
        },
    )
    set_alias(challenger, CHAMPION)
    return {"champion": challenger.uri, "previous_champion": champion, "changed": True}
