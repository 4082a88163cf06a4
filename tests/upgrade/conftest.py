"""Runs in the middle of an upgrade, shared by the tests of the steps after training: one
whose gallery is being evolved, and one registered beside a champion (real MLflow on
SQLite)."""

from __future__ import annotations

import pytest

from tests.store.helpers import unit_vectors, write_embeddings
from tests.upgrade.helpers import KEY, MODEL_NAME, REGISTERED_KEY, checkpoints, finished_run
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.location import open_store
from upgradeflow.upgrade.run_context import UpgradeRun


@pytest.fixture
def evolving_run(tmp_path):
    """A live gallery of 5 shards (10 rows each) and a finished run with an adapter."""
    store = open_store(str(tmp_path / "store"))
    path = write_embeddings(tmp_path / "v1.parquet", 50, vectors=unit_vectors(50, 16, 0))
    import_tables(Gallery(store, "g"), path, version="v1", shard_rows=10, progress=False)
    finished_run(store, tmp_path / "upload", with_adapter=True)
    return UpgradeRun(store, KEY)


@pytest.fixture
def registered_run(tmp_path, restore_tracking):
    """A finished training run in a local store, and a champion registered before it."""
    import numpy as np

    from upgradeflow.registry.tracking import use_tracking
    from upgradeflow.registry.versions import CHAMPION, register_version, set_alias
    from upgradeflow.upgrade.run_files import run_prefix, upload, write_json

    use_tracking(f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}")
    champion = register_version(
        MODEL_NAME,
        "ffffffffffffffff",
        checkpoints(tmp_path / "champion", 1),
        params={},
        metrics={},
        artifacts=[],
        tags={},
        input_example=np.zeros((2, 16, 16), dtype=np.uint8),
    )
    set_alias(champion, CHAMPION)
    store = open_store(str(tmp_path / "store"))
    files = sorted(checkpoints(tmp_path / "run", 2).iterdir())
    upload(store, run_prefix(REGISTERED_KEY), files)
    record = {
        "files": [f.name for f in files],
        "adapter_sha256": "0" * 64,
        "old_model": champion.uri,
        "spec": {"method": "dmu", "dataset": "glyphs", "seed": 0},
        "widths": [],
    }
    write_json(store, f"{run_prefix(REGISTERED_KEY)}/train.json", record)
    return UpgradeRun(store, REGISTERED_KEY), champion
