"""The ``model_upgrade`` and ``rollback`` DAGs end to end with ``dag.test()``, against
the project's Ceph RGW S3 server and a real MLflow tracking server.

One deployment goes through: bootstrap; an upgrade stopped by its gate; the same
upgrade passing, with an injected fault in a mapped evolution task and another in a
mapped backfill task, both retried by Airflow; the same upgrade again (nothing may
change); and a rollback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"
MODEL = "upgradeflow-glyphs"
OLD_MODEL = f"models:/{MODEL}/1"
GALLERY = INDEX = "glyphs"
STEPS = [
    "train_new_model", "evaluate", "register", "gate", "plan_shards", "evolve_shard",
    "seal_evolved", "build_index_shard", "commit_evolved", "plan_backfill", "backfill_shard",
    "build_final_index", "swap_backfilled", "promote",
]  # fmt: skip
IMPOSSIBLE = {"min_new_evolved": 100.0}
# Quick mode gates on mAP@100 alone: top-1 saturates on its 200 held-out identities.
PASSING = {"compatibility_metrics": "map@100", "shard_concurrency": 2}

pytestmark = [pytest.mark.slow, pytest.mark.s3, pytest.mark.pipeline, pytest.mark.fonts]


class Deployment:
    """Environment and helpers shared by the runs of one deployment."""

    def __init__(self, env: dict[str, str], store: str, tracking: str, logs: Path):
        self.env, self.store, self.tracking, self.logs = env, store, tracking, logs

    def run(self, dag_id: str, conf: dict, name: str, **extra_env: str) -> dict:
        process = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("run_dag.py")), str(DAGS), dag_id, json.dumps(conf)],
            env={**self.env, **extra_env},
            capture_output=True,
            text=True,
            timeout=900,
            cwd=ROOT,
        )
        (self.logs / f"{name}.log").write_text(process.stdout + process.stderr)
        assert process.returncode == 0, process.stderr[-3000:]
        summary = json.loads(process.stdout.strip().splitlines()[-1])
        summary["log"] = process.stdout + process.stderr
        return summary

    def snapshot(self) -> dict:
        """Everything a run could change: pointers, registry versions, aliases and tags,
        and the gate's tags on each version's MLflow run."""
        from mlflow import MlflowClient

        from upgradeflow.index.sharded import IndexCatalog
        from upgradeflow.store.gallery import Gallery
        from upgradeflow.store.location import open_store

        store = open_store(self.store)
        client = MlflowClient(self.tracking)
        model = client.get_registered_model(MODEL)
        versions = client.search_model_versions(f"name='{MODEL}'")
        return {
            "gallery": Gallery(store, GALLERY).pointer().to_json(),
            "index": IndexCatalog(store, INDEX).pointer().to_json(),
            "aliases": dict(model.aliases),
            "versions": {v.version: dict(v.tags) for v in versions},
            "run_gate_tags": {v.version: gate_tags(client.get_run(v.run_id).data.tags) for v in versions},
            "store_keys": sorted(store.list("")),
        }


def gate_tags(tags: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in tags.items() if key.startswith("upgradeflow.gate")}


def states(summary: dict, task_id: str) -> list[tuple[str, int]]:
    return [(t["state"], t["try_number"]) for t in summary["tasks"] if t["task_id"] == task_id]


@pytest.fixture(scope="module")
def deployment(s3_environment, s3_bucket_module, mlflow_server, full_glyphs_dir, tmp_path_factory) -> Deployment:
    home = tmp_path_factory.mktemp("airflow")
    env = {
        **os.environ,
        **s3_environment,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "UPGRADEFLOW_STORE": f"s3://{s3_bucket_module}/deployment",
        "MLFLOW_TRACKING_URI": mlflow_server,
        "UPGRADEFLOW_DATA": str(full_glyphs_dir),
        "UPGRADEFLOW_RETRY_DELAY_S": "0",
        "UPGRADEFLOW_THREADS": "2",
    }
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True, capture_output=True)
    os.environ["MLFLOW_TRACKING_URI"] = mlflow_server
    # The checks below read the registry in this process through mlflow's process-wide
    # URI, which an earlier test may have set explicitly: the environment alone would lose.
    import mlflow

    mlflow.set_tracking_uri(mlflow_server)
    logs = tmp_path_factory.mktemp("dag-logs")
    return Deployment(env, env["UPGRADEFLOW_STORE"], mlflow_server, logs)


@pytest.fixture(scope="module")
def lifecycle(deployment: Deployment, tmp_path_factory) -> dict:
    """Run the whole sequence once; the tests below read what each run left."""
    faults = tmp_path_factory.mktemp("fault")
    markers = [faults / "evolve_shard.failed", faults / "backfill_shard.failed"]
    runs: dict = {"bootstrap": deployment.run("bootstrap", {}, "bootstrap")}
    runs["after_bootstrap"] = deployment.snapshot()
    upgrade = {"old_model": OLD_MODEL}
    runs["gated"] = deployment.run("model_upgrade", {**upgrade, **IMPOSSIBLE}, "gated")
    runs["after_gated"] = deployment.snapshot()
    fail_once = ",".join(f"{m.name.split('.')[0]}:{m}" for m in markers)
    runs["upgrade"] = deployment.run(
        "model_upgrade", {**upgrade, **PASSING}, "upgrade", UPGRADEFLOW_FAIL_ONCE=fail_once
    )
    runs["faults_fired"] = [m.exists() for m in markers]
    runs["after_upgrade"] = deployment.snapshot()
    runs["again"] = deployment.run("model_upgrade", {**upgrade, **PASSING}, "again")
    runs["after_again"] = deployment.snapshot()
    runs["rollback"] = deployment.run("rollback", {}, "rollback")
    runs["after_rollback"] = deployment.snapshot()
    return runs


def test_bootstrap_makes_a_champion_gallery_and_index_live(lifecycle):
    assert lifecycle["bootstrap"]["state"] == "success"
    snapshot = lifecycle["after_bootstrap"]
    assert snapshot["aliases"] == {"champion": "1"}
    assert json.loads(snapshot["gallery"])["current"] == f"{MODEL}-v1"
    assert json.loads(snapshot["index"])["current"] == f"{MODEL}-v1.flat"


def test_failed_gate_stops_the_run_before_anything_is_committed(lifecycle):
    gated = lifecycle["gated"]
    assert gated["state"] == "failed"
    assert states(gated, "gate") == [("failed", 1)]  # a failed rule is not retried
    for step in STEPS[:3]:
        assert states(gated, step) == [("success", 1)]
    for step in STEPS[4:]:
        assert states(gated, step), step
        assert all(state == "upstream_failed" for state, _ in states(gated, step)), step
    before, after = lifecycle["after_bootstrap"], lifecycle["after_gated"]
    assert (after["gallery"], after["index"]) == (before["gallery"], before["index"])
    assert after["aliases"] == {"champion": "1", "challenger": "2"}
    assert not [k for k in after["store_keys"] if "evolved" in k]
    assert "min_new_evolved" in gated["log"]  # the reason is in the task log...
    tags = after["versions"]["2"]
    assert tags["upgradeflow.gate"] == "failed"  # ...and on the MLflow version
    assert "min_new_evolved: new/evolved map@100" in tags["upgradeflow.gate_reason"]


def test_gate_reason_is_on_the_mlflow_run(lifecycle):
    failed = lifecycle["after_gated"]["run_gate_tags"]["2"]
    assert failed["upgradeflow.gate"] == "failed"
    assert "min_new_evolved: new/evolved map@100" in failed["upgradeflow.gate_reason"]
    passed = lifecycle["after_upgrade"]["run_gate_tags"]["2"]  # the passing run re-tags it
    assert (passed["upgradeflow.gate"], passed["upgradeflow.gate_reason"]) == ("passed", "all rules passed")


def test_upgrade_evolves_then_backfills_the_gallery_and_promotes(lifecycle, deployment):
    upgrade = lifecycle["upgrade"]
    assert upgrade["state"] == "success"
    assert all(t["state"] == "success" for t in upgrade["tasks"])
    after = lifecycle["after_upgrade"]
    pointer = json.loads(after["gallery"])
    evolved, backfilled = pointer["previous"], pointer["current"]
    assert evolved.startswith(f"{MODEL}-v1.evolved-") and backfilled.startswith(f"{evolved}.backfill-")
    assert pointer["history"] == [f"{MODEL}-v1", evolved, backfilled]
    index = json.loads(after["index"])
    assert index["history"] == [f"{MODEL}-v1.flat", f"{evolved}.flat", f"{backfilled}.flat"]
    assert after["aliases"] == {"champion": "2", "challenger": "2"}
    tags = after["versions"]["2"]
    assert tags["upgradeflow.gallery_version"] == backfilled
    assert (tags["upgradeflow.gallery_evolved"], tags["upgradeflow.gallery_parent"]) == (evolved, f"{MODEL}-v1")
    assert tags["upgradeflow.previous_champion"] == "1"
    assert tags["upgradeflow.gate"] == "passed"
    for step in ("evolve_shard", "backfill_shard"):
        labels = sorted(t["label"] for t in upgrade["tasks"] if t["task_id"] == step)
        assert labels == ["shards 0-1", "shards 2-3"], step  # two lanes, named by their shards


def test_live_gallery_holds_the_new_models_embeddings_in_worst_first_order(lifecycle, deployment, full_glyphs_dir):
    import numpy as np

    from tests.store.helpers import read_version
    from upgradeflow.backfill.extraction import embed_batch
    from upgradeflow.backfill.planning import order_slice
    from upgradeflow.backfill.progress import backfill_progress
    from upgradeflow.data.sources import SourceResolver
    from upgradeflow.registry.versions import ModelRef, load_package
    from upgradeflow.store.gallery import Gallery
    from upgradeflow.store.location import open_store
    from upgradeflow.store.shard_format import embeddings_of

    gallery = Gallery(open_store(deployment.store), GALLERY)
    live = gallery.manifest(json.loads(lifecycle["after_upgrade"]["gallery"])["current"])  # before the rollback
    assert (live["producer"]["kind"], live["producer"]["order"]) == ("backfill", "worst-first")
    assert live["producer"]["model"] == f"models:/{MODEL}/2"
    progress = backfill_progress(gallery, live["version"])
    assert progress.committed and progress.fraction == 1.0
    table = read_version(gallery, live["version"])
    shards = range(len(live["shards"]))
    ordered = [i for n in shards for i in order_slice(gallery, live["version"], n).column("id").to_pylist()]
    assert table.column("id").to_pylist() == ordered  # backfill shard N holds the Nth run of the order
    old_ids = read_version(gallery, f"{MODEL}-v1").column("id").to_pylist()
    assert sorted(ordered) == sorted(old_ids) and len(set(ordered)) == len(ordered)  # every item exactly once
    model = load_package(ModelRef(MODEL, "2")).model
    images = SourceResolver(full_glyphs_dir).images(table.column("source").to_pylist())
    np.testing.assert_allclose(embeddings_of(table), embed_batch(model, images), atol=1e-5)


def test_retried_steps_leave_no_duplicate_or_partial_shard(lifecycle, deployment):
    from upgradeflow.store.gallery import Gallery
    from upgradeflow.store.location import open_store

    assert lifecycle["faults_fired"] == [True, True]
    for step in ("evolve_shard", "backfill_shard"):
        tries = sorted(t["try_number"] for t in lifecycle["upgrade"]["tasks"] if t["task_id"] == step)
        assert tries == [1, 2], step  # one lane failed once and was retried
    gallery = Gallery(open_store(deployment.store), GALLERY)
    parent = gallery.manifest(f"{MODEL}-v1")
    for version in json.loads(lifecycle["after_upgrade"]["gallery"])["history"][1:]:
        manifest = gallery.manifest(version)
        assert manifest["rows"] == parent["rows"] and len(manifest["shards"]) == len(parent["shards"])
        ids = []
        for index in range(len(manifest["shards"])):
            with gallery.open_shard(version, index) as (path, _):  # checks the sha256
                import pyarrow.parquet as pq

                ids += pq.read_table(path, columns=["id"]).column("id").to_pylist()
        assert len(ids) == len(set(ids)) == manifest["rows"]
        shard_files = [k for k in lifecycle["after_upgrade"]["store_keys"] if version + "/shards/" in k]
        assert len([k for k in shard_files if k.endswith(".parquet")]) == len(manifest["shards"])


def test_metrics_matrix_and_reports_are_logged(lifecycle, deployment):
    from mlflow import MlflowClient

    client = MlflowClient(deployment.tracking)
    run = client.get_run(lifecycle["after_upgrade"]["versions"]["2"]["mlflow.run_id"])
    for pair in ("old/old", "new/old", "new/evolved", "new/new"):
        for metric in ("map_at_100", "map", "top1", "top5"):
            assert 0 <= run.data.metrics[f"{pair}/{metric}"] <= 100
    assert run.data.params["method"] == "dmu"
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "champion-v1")}
    assert {f"champion-v1/{n}" for n in ("evaluation.json", "comparison.md", "comparison.png", "tradeoff.png")} <= (
        artifacts
    )
    local = client.download_artifacts(run.info.run_id, "champion-v1/evaluation.json")
    evaluation = json.loads(Path(local).read_text())
    assert evaluation["challenger"]["matrix"]["new/new"]["map@100"] == pytest.approx(
        run.data.metrics["new/new/map_at_100"]
    )
    version = client.get_model_version(MODEL, "2")
    assert version.run_id == run.info.run_id


def test_second_run_with_same_inputs_changes_nothing(lifecycle):
    assert lifecycle["again"]["state"] == "success"
    assert lifecycle["after_again"] == lifecycle["after_upgrade"]
    for step in ("evolve_shard", "backfill_shard"):
        assert states(lifecycle["again"], step) == [("skipped", 0)], step


def test_rollback_restores_champion_gallery_and_index(lifecycle):
    assert lifecycle["rollback"]["state"] == "success"
    before, after = lifecycle["after_bootstrap"], lifecycle["after_rollback"]
    assert after["aliases"]["champion"] == "1"
    assert json.loads(after["gallery"])["current"] == json.loads(before["gallery"])["current"]
    assert json.loads(after["index"])["current"] == json.loads(before["index"])["current"]
    assert after["versions"]["2"]["upgradeflow.rolled_back"] == "true"


def test_an_sfsc_upgrade_registers_one_version_per_width(lifecycle, deployment):
    """Runs after the lifecycle; its gate cannot pass, so only the registry changes."""
    import numpy as np

    from upgradeflow.registry.versions import FAMILY_TAG, RUN_KEY_TAG, WIDTH_TAG, ModelRef, load_package

    before = deployment.snapshot()
    run = deployment.run("model_upgrade", {"old_model": OLD_MODEL, "method": "sfsc", **IMPOSSIBLE}, "sfsc")
    assert run["state"] == "failed" and states(run, "gate") == [("failed", 1)]
    after = deployment.snapshot()
    assert (after["gallery"], after["index"]) == (before["gallery"], before["index"])
    family = {v: tags for v, tags in after["versions"].items() if tags.get("upgradeflow.method") == "sfsc"}
    by_width = {tags[WIDTH_TAG]: v for v, tags in family.items()}
    assert sorted(by_width, key=float, reverse=True) == ["1.0", "0.75", "0.5", "0.25"]
    lead = family[by_width["1.0"]]
    assert after["aliases"]["challenger"] == by_width["1.0"]
    assert all(family[by_width[w]][FAMILY_TAG] == lead[RUN_KEY_TAG] for w in ("0.75", "0.5", "0.25"))
    images = np.random.default_rng(0).integers(0, 256, size=(3, 32, 32), dtype=np.uint8)
    packages = {w: load_package(ModelRef(MODEL, v)) for w, v in by_width.items()}
    sizes = {w: sum(p.numel() for p in package.model.parameters()) for w, package in packages.items()}
    assert sizes["0.25"] < sizes["0.5"] < sizes["0.75"] < sizes["1.0"]
    for package in packages.values():
        embeddings = package.predict(None, images)
        assert embeddings.shape == (3, 128)
        np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, rtol=1e-5)
