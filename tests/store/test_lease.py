"""The gallery lease that keeps the upgrade, rollback and bootstrap runs of one gallery
from overlapping, on a local directory and on S3: of runs racing for it one wins, the
others exit 3; a holder that dies loses it only when it expires, and then moves nothing."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from tests.store.workers import step_after_barrier
from upgradeflow.errors import ConflictError
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.lease import GalleryLease, hold_lease
from upgradeflow.store.location import open_store

SPAWN = multiprocessing.get_context("spawn")


def _take(owner: str, store_uri: str, ttl_s: float = 3600) -> list[str]:
    return ["take", "--gallery", "g", "--owner", owner, "--ttl-s", str(ttl_s), "--store", store_uri]


def test_of_eight_runs_taking_one_gallerys_lease_one_wins(store_uri):
    barrier, results = SPAWN.Barrier(8), SPAWN.Queue()
    owners = [f"model_upgrade/run-{i}" for i in range(4)] + [f"rollback/run-{i}" for i in range(4)]
    workers = [
        SPAWN.Process(target=step_after_barrier, args=("tasks.lease", _take(o, store_uri), barrier, results))
        for o in owners
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    winners = [argv[argv.index("--owner") + 1] for argv, status, _ in outcomes if status == 0]
    assert len(winners) == 1, outcomes
    for _, status, message in (o for o in outcomes if o[1] != 0):
        assert status == 3 and message.startswith("python -m tasks.lease: conflict:") and "\n" not in message
    lease = GalleryLease(Gallery(open_store(store_uri), "g"))
    assert lease.state()[0].owner == winners[0]
    loser = next(o for o in owners if o != winners[0])
    with pytest.raises(ConflictError, match=f"held by {winners[0]}"):
        lease.take(loser, 60)
    gallery = Gallery(open_store(store_uri), "g")
    hold_lease(gallery, winners[0])  # the holder's steps go on
    with pytest.raises(ConflictError, match="not held by"):
        hold_lease(gallery, loser)  # the other run's pointer moves do not
    assert lease.release(winners[0]) and not lease.release(winners[0])
    assert lease.take(loser, 60).owner == loser  # released: the next run goes


def test_a_killed_runs_lease_expires_and_then_it_moves_nothing(store_uri):
    command = [sys.executable, "-c", KILLED_HOLDER, store_uri]
    holder = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert json.loads(holder.stdout.readline())["owner"] == "bootstrap/killed"  # the step's result: taken
    holder.kill()  # dies holding the lease: no release, no teardown
    holder.wait()
    gallery = Gallery(open_store(store_uri), "g")
    lease = GalleryLease(gallery)
    with pytest.raises(ConflictError, match="held by bootstrap/killed"):
        lease.take("rollback/next", 60)
    time.sleep(max(0.0, (lease.state()[0].expires_at - datetime.now(UTC)).total_seconds()) + 0.1)
    assert lease.take("rollback/next", 60).owner == "rollback/next"  # expired: taken over
    with pytest.raises(ConflictError, match="held by rollback/next"):
        hold_lease(gallery, "bootstrap/killed")  # a step of the dead run that still runs stops


KILLED_HOLDER = """
import sys, time
from tasks.lease import main
main(["take", "--gallery", "g", "--owner", "bootstrap/killed", "--ttl-s", "4", "--store", sys.argv[1]])
sys.stdout.flush()
time.sleep(600)
"""
