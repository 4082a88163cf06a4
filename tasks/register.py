"""Step 3: log the run to MLflow and register the new model and its adapter as one
version with the alias ``challenger``. An SFSC run also registers every narrower width
as its own version, tagged with its width and the run it came from, so a platform can
pick the capacity it can afford; they share the full width's space and adapter."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from tasks import _step
from tasks._context import finished_run, open_store, promoted_version, run_files, use_registry
from tasks.evaluate import evaluation_prefix
from upgradeflow.errors import UserInputError
from upgradeflow.scratch import scratch

REPORT_FILES = ("evaluation.json", "comparison.md", "comparison.png", "tradeoff.png")


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__)
    _step.add_run_key(parser)
    _step.add_model_name(parser)
    return parser


def work(args: argparse.Namespace) -> dict:
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
    from upgradeflow.upgrade.run_files import download

    store = open_store(args)
    use_registry(args)
    promoted = promoted_version(args.model_name, args.run_key)
    if promoted is not None:
        return {"model": promoted.uri, "version": promoted.version, "skipped": True}
    record = finished_run(store, args.run_key)
    champion = resolve(f"models:/{args.model_name}@{CHAMPION}")
    prefix = evaluation_prefix(args.run_key, champion.version)
    with scratch() as tmp:
        try:
            report = download(store, prefix, list(REPORT_FILES), Path(tmp) / f"champion-v{champion.version}")
        except FileNotFoundError:
            raise UserInputError(f"run {args.run_key}: not evaluated against {champion.uri} yet") from None
        evaluation = json.loads((report / "evaluation.json").read_text())
        metrics = metric_items("", evaluation["challenger"]["matrix"])
        metrics |= metric_items("champion/", {"self": evaluation["champion"]})
        checkpoints = run_files(store, args.run_key)
        image_size = json.loads((checkpoints / "model.json").read_text())["config"]["image_size"]
        widths = record.get("widths") or []
        tags = {
            "upgradeflow.old_model": record["old_model"],
            "upgradeflow.method": record["spec"]["method"],
            "upgradeflow.dataset": record["spec"]["dataset"],
            "upgradeflow.adapter_sha256": record["adapter_sha256"],
        }
        example = np.zeros((2, image_size, image_size), dtype=np.uint8)
        params = {**record["spec"], "old_model": record["old_model"], "run_key": args.run_key}
        version = register_version(
            args.model_name,
            args.run_key,
            checkpoints,
            params=params,
            metrics=metrics,
            artifacts=[],
            tags=tags | ({WIDTH_TAG: str(widths[0])} if widths else {}),
            input_example=example,
        )
        width_versions = [
            register_version(
                args.model_name,
                f"{args.run_key}/w{width}",
                width_package(checkpoints, width, Path(tmp) / f"w{width}"),
                params=params | {"width": width},
                metrics={},
                artifacts=[],
                tags=tags | {WIDTH_TAG: str(width), FAMILY_TAG: args.run_key},
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


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
