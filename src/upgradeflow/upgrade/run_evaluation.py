"""The evaluate step: measure a run's challenger against the current champion once per
champion version and keep the report (matrix, comparison, plots) in the store, the JSON
last, so a report that exists is whole and a re-run finds it instead of re-measuring."""

from __future__ import annotations

import json
from pathlib import Path

from upgradeflow.scratch import scratch
from upgradeflow.store.object_store import join
from upgradeflow.upgrade.registration import promoted_version
from upgradeflow.upgrade.run_context import UpgradeRun
from upgradeflow.upgrade.run_files import evaluation_prefix, read_json, upload


def evaluate_run(run: UpgradeRun, model_name: str, data_dir: Path, progress: bool = True) -> dict:
    """The challenger's cross-model matrix against the champion (tracking already chosen)."""
    from upgradeflow.data.registry import load_dataset
    from upgradeflow.evaluation.comparison import comparison_markdown, plot_comparison
    from upgradeflow.evaluation.plot import plot_tradeoff
    from upgradeflow.models.adapter import load_adapter
    from upgradeflow.models.checkpoint import load_model
    from upgradeflow.registry.model_package import FORWARD_ADAPTER_FILE, MODEL_FILE
    from upgradeflow.registry.versions import CHAMPION, load_package, resolve
    from upgradeflow.upgrade.evaluation import evaluate_upgrade
    from upgradeflow.upgrade.spec import UpgradeSpec

    promoted = promoted_version(model_name, run.key)
    if promoted is not None:
        return {"run_key": run.key, "champion_model": promoted.uri, "skipped": True}
    spec = UpgradeSpec(**run.record["spec"])
    champion = resolve(f"models:/{model_name}@{CHAMPION}")
    prefix = evaluation_prefix(run.key, champion.version)
    existing = read_json(run.store, join(prefix, "evaluation.json"))
    if existing is not None:
        return {**_summary(existing, prefix), "skipped": True}
    old = resolve(run.record["old_model"])
    evaluation = evaluate_upgrade(
        load_dataset(spec.dataset, data_dir, progress=progress),
        spec,
        load_package(old).model,
        load_model(run.files / MODEL_FILE),
        load_adapter(run.files / FORWARD_ADAPTER_FILE),
        None if champion == old else load_package(champion).model,
    )
    evaluation |= {"champion_model": champion.uri, "old_model": old.uri, "run_key": run.key}
    with scratch() as tmp:
        out = Path(tmp)
        (out / "comparison.md").write_text(comparison_markdown(evaluation, champion.uri, f"run {run.key}"))
        plot_comparison(evaluation, out / "comparison.png")
        plot_tradeoff(evaluation, out / "tradeoff.png")
        (out / "evaluation.json").write_text(json.dumps(evaluation, indent=2) + "\n")
        # evaluation.json last: its presence means the others are there.
        upload(run.store, prefix, [out / "comparison.md", out / "comparison.png", out / "tradeoff.png"])
        upload(run.store, prefix, [out / "evaluation.json"])
    return {**_summary(evaluation, prefix), "skipped": False}


def _summary(evaluation: dict, prefix: str) -> dict:
    matrix = evaluation["challenger"]["matrix"]
    return {
        "run_key": evaluation["run_key"],
        "champion_model": evaluation["champion_model"],
        "evaluation": prefix,
        "map@100": {pair: round(m["map@100"], 2) for pair, m in matrix.items()},
        "champion_map@100": round(evaluation["champion"]["map@100"], 2),
        "compatible": evaluation["challenger"]["compatible"],
    }
