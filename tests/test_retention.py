"""gc deletes only what nothing can reach, on a local directory and on real S3."""

from __future__ import annotations

import subprocess
import sys
import tempfile

import pytest

from tests.serve.helpers import DIM, Deployment
from tests.store.helpers import unit_vectors
from tests.test_scratch import KILLED_OWNER
from upgradeflow.backfill.publication import publish_backfill
from upgradeflow.errors import UserInputError
from upgradeflow.index.sharded import ShardedIndex
from upgradeflow.retention import collect_gallery, collect_index, discard_staged
from upgradeflow.scratch import dead_scratch, scratch
from upgradeflow.store.local import LocalStore
from upgradeflow.store.location import open_store


@pytest.fixture
def deployment(store_uri, tmp_path) -> Deployment:
    """v1 live in the gallery and its index."""
    deployment = Deployment(tmp_path, rows=200, shard_rows=100, store=open_store(store_uri))
    deployment.commit("v1", seed=1)
    deployment.build_and_swap("v1")
    return deployment


def test_a_version_an_index_was_built_from_is_never_deleted(deployment):
    for version, seed in [("v2", 2), ("v3", 3), ("v4", 4)]:
        deployment.commit(version, seed=seed)  # the gallery moves on; the index still serves v1
    collected = collect_gallery(deployment.gallery, keep=0, grace_hours=0)
    assert collected.deleted == ["v2"]  # v3 and v4 are the rollback chain, v1 the index's
    live = ShardedIndex.load(deployment.catalog, "v1.flat")  # a replica starting now
    assert live.search(unit_vectors(3, DIM, seed=9), 5)[1].shape == (3, 5)
    assert deployment.gallery.is_sealed("v1")


def test_a_sealed_version_about_to_go_live_outlives_gc(deployment):
    deployment.commit("v2", seed=2)
    deployment.gallery.store.delete([deployment.gallery.pointer_key])  # a fresh pointer, as if v2 were new
    deployment.gallery.pointer()  # nothing live: v1 and v2 are both sealed, never live
    collected = collect_gallery(deployment.gallery, keep=0)
    assert collected.deleted == []  # both sealed within the grace period: a commit may be in flight


def test_index_gc_keeps_the_rollback_chain(deployment):
    for version, seed in [("v2", 2), ("v3", 3), ("v4", 4)]:
        deployment.commit(version, seed=seed)
        deployment.build_and_swap(version)
    collected = collect_index(deployment.catalog, keep=1, grace_hours=0)
    assert collected.deleted == ["v1.flat", "v2.flat"]
    assert deployment.catalog.rollback().current == "v3.flat"
    # The gallery versions of deleted index versions are unreachable now, beyond the chain.
    assert collect_gallery(deployment.gallery, keep=1, grace_hours=0).deleted == ["v1", "v2"]


def test_abandoned_staged_versions_go_but_a_published_backfill_stays(deployment):
    deployment.plan_backfill("v1", "v1.backfill")
    deployment.write_backfill_shard("v1.backfill", 0, unit_vectors(200, DIM, seed=5))
    deployment.plan_backfill("v1", "v1.abandoned")
    deployment.write_backfill_shard("v1.abandoned", 0, unit_vectors(200, DIM, seed=6))
    publish_backfill(deployment.gallery, "v1.backfill", [0])
    assert collect_gallery(deployment.gallery, keep=1).discarded == []  # written just now: still running
    collected = collect_gallery(deployment.gallery, keep=1, grace_hours=0)
    assert collected.discarded == ["v1.abandoned"]
    assert deployment.gallery.finished_shard("v1.backfill", 0) is not None
    with pytest.raises(UserInputError, match="in use"):
        discard_staged(deployment.gallery, "v1.backfill")
    with pytest.raises(UserInputError, match="nothing staged"):
        discard_staged(deployment.gallery, "v9")


def test_leftovers_of_killed_writers_are_swept(deployment):
    store = deployment.gallery.store
    prefix = deployment.gallery.version_key("v1")
    if isinstance(store, LocalStore):
        leftover = store.root / prefix / ".shard-00000.parquet.x1y2.tmp"
        leftover.write_bytes(b"x" * 1000)
        expected = (1, 1000)
    else:
        upload = store.client.create_multipart_upload(Bucket=store.bucket, Key=store._key(f"{prefix}/big.parquet"))
        store.client.upload_part(
            Bucket=store.bucket, Key=upload["Key"], UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * 1000
        )
        expected = (1, 1000)
    assert collect_gallery(deployment.gallery, keep=1).leftovers == 0  # too recent to be a dead writer's
    collected = collect_gallery(deployment.gallery, keep=1, grace_hours=0)
    assert (collected.leftovers, collected.leftover_bytes) == expected
    assert store.sweep_leftovers(deployment.gallery.prefix, float("inf")) == (0, 0)


def test_rollback_refuses_a_version_gc_deleted(deployment):
    for version, seed in [("v2", 2), ("v3", 3)]:
        deployment.commit(version, seed=seed)
        deployment.build_and_swap(version)
    collect_index(deployment.catalog, keep=0, grace_hours=0)
    assert collect_gallery(deployment.gallery, keep=0, grace_hours=0).deleted == ["v1"]
    assert deployment.gallery.rollback().current == "v2"  # the chain gc kept
    with pytest.raises(UserInputError, match="deleted"):
        deployment.gallery.rollback()
    assert deployment.gallery.pointer().current == "v2"
    assert deployment.catalog.rollback().current == "v2.flat"
    with pytest.raises(UserInputError, match="deleted"):
        deployment.catalog.rollback()


def test_gc_removes_the_scratch_directories_of_killed_commands(tmp_path, monkeypatch):
    """A command killed mid-transfer cannot remove its scratch directory; on a host that
    runs only commands, no pipeline step ever sweeps it, so gc does."""
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR in this process too
    (tmp_path / "tmp").mkdir()
    killed = subprocess.run([sys.executable, "-c", KILLED_OWNER], capture_output=True, text=True, check=False)
    assert killed.returncode == -9 and len(dead_scratch()) == 1
    deployment = Deployment(tmp_path, rows=200, shard_rows=100, store=LocalStore(tmp_path / "store"))
    deployment.commit("v1", seed=1)
    with scratch("live") as live:
        collected = collect_gallery(deployment.gallery, keep=1)
        assert (collected.scratch, collected.scratch_bytes) == (1, 4096)
        assert dead_scratch() == [] and live.is_dir()
    assert collect_index(deployment.catalog, keep=1).scratch == 0
