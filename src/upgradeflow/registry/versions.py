"""Registered versions, their lineage tags and the ``champion``/``challenger`` aliases.

Every version carries the key of the run that trained it, so a re-run finds its
version instead of registering a duplicate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

import upgradeflow
from upgradeflow.errors import UserInputError
from upgradeflow.registry.model_package import CHECKPOINTS, EmbeddingPackage

CHAMPION = "champion"
CHALLENGER = "challenger"
RUN_KEY_TAG = "upgradeflow.run_key"
WIDTH_TAG = "upgradeflow.width"  # SFSC: the sub-model width of a version
FAMILY_TAG = "upgradeflow.family"  # SFSC: the run whose full-width version leads the family
URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[\w-]+)|/(?P<version>\d+))$")
PIP_REQUIREMENTS = ["torch==2.13.*", f"numpy=={np.__version__}", f"mlflow=={mlflow.__version__}"]


@dataclass(frozen=True)
class ModelRef:
    name: str
    version: str

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


def resolve(uri: str) -> ModelRef:
    """``models:/NAME@ALIAS`` or ``models:/NAME/VERSION`` to a concrete version."""
    match = URI.match(uri)
    if match is None:
        raise UserInputError(f"{uri}: not a registered model URI (models:/NAME@ALIAS or models:/NAME/VERSION)")
    client = MlflowClient()
    try:
        if match["alias"]:
            found = client.get_model_version_by_alias(match["name"], match["alias"])
        else:
            found = client.get_model_version(match["name"], match["version"])
    except MlflowException:
        raise UserInputError(f"{uri}: no such registered model version in {mlflow.get_tracking_uri()}") from None
    return ModelRef(found.name, str(found.version))


def alias_version(name: str, alias: str) -> str | None:
    try:
        return str(MlflowClient().get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def find_version(name: str, run_key: str) -> ModelRef | None:
    try:
        versions = MlflowClient().search_model_versions(f"name='{name}'")
    except MlflowException:
        return None
    matching = sorted(int(v.version) for v in versions if v.tags.get(RUN_KEY_TAG) == run_key)
    return ModelRef(name, str(matching[0])) if matching else None


def load_package(ref: ModelRef) -> EmbeddingPackage:
    return mlflow.pyfunc.load_model(ref.uri).unwrap_python_model()


def register_version(
    name: str,
    run_key: str,
    checkpoint_dir: Path,
    *,
    params: dict,
    metrics: dict[str, float],
    artifacts: list[Path],
    tags: dict[str, str],
    input_example: np.ndarray | list,
    requirements: tuple[str, ...] = (),
) -> ModelRef:
    """Log one run (parameters, metrics, artifacts, the model) and register its version.
    ``requirements``: what the model's encoder needs besides torch (a backbone's library)."""
    found = find_version(name, run_key)
    if found is not None:
        return found
    with mlflow.start_run(run_name=f"{name}-{run_key}") as run:
        mlflow.set_tags({RUN_KEY_TAG: run_key, **tags})
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        for path in artifacts:
            mlflow.log_artifact(str(path))
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=EmbeddingPackage(),
            artifacts={CHECKPOINTS: str(checkpoint_dir)},
            code_paths=[str(Path(upgradeflow.__file__).parent)],
            pip_requirements=[*PIP_REQUIREMENTS, *requirements],
            input_example=input_example,
            registered_model_name=name,
        )
    client = MlflowClient()
    version = str(info.registered_model_version)
    for key, value in {RUN_KEY_TAG: run_key, "mlflow.run_id": run.info.run_id, **tags}.items():
        client.set_model_version_tag(name, version, key, value)
    return ModelRef(name, version)


def run_id_of(ref: ModelRef) -> str:
    return MlflowClient().get_model_version(ref.name, ref.version).run_id


def tags_of(ref: ModelRef) -> dict[str, str]:
    return dict(MlflowClient().get_model_version(ref.name, ref.version).tags)


def set_alias(ref: ModelRef, alias: str) -> bool:
    """Point ``alias`` at ``ref``; False when it already did (nothing changed)."""
    if alias_version(ref.name, alias) == ref.version:
        return False
    MlflowClient().set_registered_model_alias(ref.name, alias, ref.version)
    return True


def tag_version(ref: ModelRef, tags: dict[str, str]) -> None:
    client = MlflowClient()
    for key, value in tags.items():
        client.set_model_version_tag(ref.name, ref.version, key, value)


def metric_items(prefix: str, metrics: dict[str, dict]) -> dict[str, float]:
    """``{"new/old": {"map@100": x}}`` to MLflow names such as ``new/old/map_at_100``."""
    out = {}
    for pair, values in metrics.items():
        for metric, value in values.items():
            if isinstance(value, int | float):
                out[f"{prefix}{pair}/{metric.replace('@', '_at_')}"] = float(value)
    return out
