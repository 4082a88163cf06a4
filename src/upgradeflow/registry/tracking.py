"""Where MLflow lives: any tracking server by URI, or an embedded SQLite file.

The embedded default keeps the database and the artifacts under the project's data
directory, so a laptop run needs no server and ``mlflow ui`` can read it afterwards.
"""

from __future__ import annotations

import os
from pathlib import Path

EXPERIMENT = "upgradeflow"


def default_tracking_uri() -> str:
    configured = os.environ.get("MLFLOW_TRACKING_URI")
    if configured:
        return configured
    data = Path(os.environ.get("UPGRADEFLOW_DATA", "data")).resolve()
    return f"sqlite:///{data / 'mlflow' / 'mlflow.db'}"


def use_tracking(uri: str | None = None) -> str:
    """Point mlflow at ``uri`` (or the default) and make sure the experiment exists."""
    import mlflow

    uri = uri or default_tracking_uri()
    artifacts = None
    if uri.startswith("sqlite:///"):
        database = Path(uri.removeprefix("sqlite:///"))
        database.parent.mkdir(parents=True, exist_ok=True)
        artifacts = (database.parent / "artifacts").as_uri()
    mlflow.set_tracking_uri(uri)
    if mlflow.get_experiment_by_name(EXPERIMENT) is None:
        try:
            mlflow.create_experiment(EXPERIMENT, artifact_location=artifacts)
        except mlflow.exceptions.MlflowException:
            if mlflow.get_experiment_by_name(EXPERIMENT) is None:  # not a lost creation race
                raise
    mlflow.set_experiment(EXPERIMENT)
    return uri
