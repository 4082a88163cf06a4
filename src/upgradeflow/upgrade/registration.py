"""Register an upgrade run in MLflow: the new model and its adapter as one version with
the alias ``challenger``, its evaluation against the champion as metrics and artifacts.
An SFSC run also registers every narrower width as its own version, tagged with its
width and the run it came from, so a platform can pick the capacity it can afford; they
share the full width's space and adapter. Registering again changes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from upgradeflow.errors import UserInputError
from upgradeflow.scratch import scratch
from upgradeflow.upgrade.run_context import UpgradeRun
from upgradeflow.upgrade.run_files import check_run_key, download, evaluation_prefix

if TYPE_CHECKING:
    from upgradeflow.registry.versions import ModelRef

REPORT_FILES = ("evaluation.json", "comparison.md", "comparison.png", "tradeoff.png")


def promoted_version(model_name: str, key: str) -> ModelRef | None:
    """The registered version of run ``key`` when it is already the champion, else None:
    a promoted run is finished, and re-running any of its steps must change nothing."""
    from upgradeflow.registry.versions import CHAMPION, alias_version, find_version

    version = find_version(model_name, check_run_key(key))
    if version is not None and alias_version(model_name, CHAMPION) == version.version:
        return version
    return None


def register_run(run: UpgradeRun, model_name: str) -> dict:
    """Register ``run`` under ``model_name`` (tracking already chosen) and point
    ``challenger`` at it; what the register step prints."""
    import mlflow
    import numpy as np

    from upgradeflow.registry.versions import (
        CHALLENGER,
        CHAMPION,
        FAMILY_TAG,
        WIDTH_TAG,
        metric_items,
        register_version,
        resolve,
        run_id_of,
        set_alias,
    )

    promoted = promoted_version(model_name, run.key)
    if promoted is not None:
        return {"model": promoted.uri, "version": promoted.version, "skipped": True}
    record = run.record
    champion = resolve(f"models:/{model_name}@{CHAMPION}")
    prefix = evaluation_prefix(run.key, champion.version)
    with scratch() as tmp:
        try:
            report = download(run.store, prefix, list(REPORT_FILES), Path(tmp) / f"champion-v{champion.version}")
        except FileNotFoundError:
            raise UserInputError(f"run {run.key}: not evaluated against {champion.uri} yet") from None
        evaluation = json.loads((report / "evaluation.json").read_text())
        metrics = metric_items("", evaluation["challenger"]["matrix"])
        metrics |= metric_items("champion/", {"self": evaluation["champion"]})
        checkpoints = run.files
        image_size = json.loads((checkpoints / "model.json").read_text())["config"]["image_size"]
        widths = record.get("widths") or []
        tags = {
            "upgradeflow.old_model": record["old_model"],
            "upgradeflow.method": record["spec"]["method"],
            "upgradeflow.dataset": record["spec"]["dataset"],
            "upgradeflow.adapter_sha256": record["adapter_sha256"],
        }
        example = np.zeros((2, image_size, image_size), dtype=np.uint8)
        params = {**record["spec"], "old_model": record["old_model"], "run_key": run.key}
        version = register_version(
            model_name,
            run.key,
            checkpoints,
            params=params,
            metrics=metrics,
            artifacts=[],
            tags=tags | ({WIDTH_TAG: str(widths[0])} if widths else {}),
            input_example=example,
        )
        width_versions = [
            register_version(
                model_name,
                f"{run.key}/w{width}",
                width_package(checkpoints, width, Path(tmp) / f"w{width}"),
                params=params | {"width": width},
                metrics={},
                artifacts=[],
                tags=tags | {WIDTH_TAG: str(width), FAMILY_TAG: run.key},
                input_example=example,
            ).version
            for width in widths[1:]
        ]
        run_id = run_id_of(version)
        logged = {a.path for a in mlflow.MlflowClient().list_artifacts(run_id, report.name)}
        if f"{report.name}/evaluation.json" not in logged:
            mlflow.MlflowClient().log_artifacts(run_id, str(report), report.name)
    moved = set_alias(version, CHALLENGER)
    return {
        "model": version.uri,
        "version": version.version,
        "run_id": run_id,
        "alias_moved": moved,
        "width_versions": dict(zip(map(str, widths[1:]), width_versions, strict=True)),
    }


def width_package(checkpoints: Path, width: float, directory: Path) -> Path:
    """A package directory holding one width as its model, beside the shared adapter."""
    from upgradeflow.registry.model_package import FORWARD_ADAPTER_FILE, MODEL_FILE, width_file

    directory.mkdir(parents=True)
    for suffix in (".pt", ".json"):
        shutil.copyfile(checkpoints / f"{width_file(width)}{suffix}", directory / f"{MODEL_FILE}{suffix}")
        shutil.copyfile(checkpoints / f"{FORWARD_ADAPTER_FILE}{suffix}", directory / f"{FORWARD_ADAPTER_FILE}{suffix}")
    return directory
