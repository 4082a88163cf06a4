"""``upgradeflow status`` against a real MLflow registry (SQLite) and a local store."""

from __future__ import annotations

import mlflow
import pytest
from mlflow import MlflowClient

from tests.cli.test_main import main_user_error
from tests.store.helpers import unit_vectors, write_embeddings
from upgradeflow.cli.main import main

MODEL = "status-model"


@pytest.fixture
def tracking(tmp_path, monkeypatch, restore_tracking):
    """A fresh SQLite registry; mlflow's process-wide URI is put back afterwards."""
    uri = f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


def register(uri: str, metrics: dict[str, float], tags: dict[str, str]) -> str:
    from upgradeflow.registry.tracking import use_tracking

    use_tracking(uri)
    client = MlflowClient()
    with mlflow.start_run() as run:
        mlflow.log_metrics(metrics)
    if not client.search_registered_models(f"name='{MODEL}'"):
        client.create_registered_model(MODEL)
    return client.create_model_version(MODEL, f"runs:/{run.info.run_id}/model", run.info.run_id, tags=tags).version


def test_status_shows_versions_aliases_metrics_and_what_is_live(tracking, tmp_path, capsys):
    champion = register(tracking, {"old/old/map_at_100": 74.4}, {"upgradeflow.method": "old"})
    challenger = register(
        tracking,
        {"new/old/map_at_100": 81.51, "new/evolved/map_at_100": 83.3, "new/new/map_at_100": 90.64},
        {"upgradeflow.method": "dmu", "upgradeflow.gate": "passed"},
    )
    client = MlflowClient()
    client.set_registered_model_alias(MODEL, "champion", champion)
    client.set_registered_model_alias(MODEL, "challenger", challenger)
    store = ["--store", str(tmp_path / "store")]
    source = write_embeddings(tmp_path / "g.parquet", 50, vectors=unit_vectors(50, 8, 0))
    assert main(["gallery", "import", "g", "--from", str(source), "--version", "v1", *store]) == 0
    assert main(["index", "build", "g", "--gallery", "g", "--no-progress", *store]) == 0
    assert main(["index", "swap", "g", "v1.flat", *store]) == 0
    capsys.readouterr()

    assert (
        main(["status", "--model-name", MODEL, "--gallery", "g", "--index", "g", "--tracking-uri", tracking, *store])
        == 0
    )
    out = capsys.readouterr().out
    assert "| 1 | champion | old | 74.40 |  |  |  |  |" in out
    assert "| 2 | challenger | dmu |  | 81.51 | 83.30 | 90.64 | passed |" in out
    assert "gallery g: live v1 (previous -)" in out and "index   g: live v1.flat (previous -)" in out
    assert f"mlflow ui --backend-store-uri {tracking}" in out


def test_status_before_any_registry_exists_is_one_line_and_creates_nothing(tracking, tmp_path, capsys):
    error = main_user_error(capsys, "status", "--tracking-uri", tracking, "--store", str(tmp_path / "store"))
    assert "no MLflow database" in error
    assert not (tmp_path / "mlflow").exists()


def test_status_without_the_registered_model_is_one_line(tracking, tmp_path, capsys):
    register(tracking, {}, {})
    capsys.readouterr()
    args = ["status", "--model-name", "other", "--tracking-uri", tracking, "--store", str(tmp_path / "store")]
    assert "no registered model 'other'" in main_user_error(capsys, *args)
