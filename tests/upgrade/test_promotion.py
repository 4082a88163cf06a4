"""Promotion waits for the backfill: a run whose backfilled gallery is not live is not
made the champion (the promoting path runs end to end in ``tests/dags``)."""

from __future__ import annotations

import pytest

from upgradeflow.errors import UserInputError
from upgradeflow.index.spec import IndexSpec
from upgradeflow.upgrade.lanes import build_index_lane, evolve_lane
from upgradeflow.upgrade.make_live import commit_evolved
from upgradeflow.upgrade.promotion import promote_run
from upgradeflow.upgrade.sealing import seal_evolved


def test_a_run_is_not_promoted_before_its_backfill_is_live(evolving_run):
    with pytest.raises(UserInputError, match="commit the evolved gallery before backfilling it"):
        promote_run(evolving_run, "m", "g", "g", IndexSpec())
    evolve_lane(evolving_run, "g", [0, 1, 2, 3, 4])
    seal_evolved(evolving_run, "g")
    build_index_lane(evolving_run, "g", "g", IndexSpec(), [0, 1, 2, 3, 4])
    commit_evolved(evolving_run, "g", "g", IndexSpec())
    with pytest.raises(UserInputError, match="is not live; swap the backfill in before promoting"):
        promote_run(evolving_run, "m", "g", "g", IndexSpec())
