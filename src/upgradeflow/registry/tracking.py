"""Where MLflow lives: any tracking server by URI, or an embedded SQLite file.

The embedded default keeps the database and the artifacts under the project's data
directory, so a laptop run needs no server and ``mlflow ui`` can read it afterwards.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlparse

from upgradeflow.data import default_data_dir
from upgradeflow.errors import UserInputError, one_line

EXPERIMENT = "upgradeflow"
PROBE_SECONDS = 10  # a tracking server that has not answered /health by then is not serving


def default_tracking_uri() -> str:
    configured = os.environ.get("MLFLOW_TRACKING_URI")
    if configured:
        return configured
    data = default_data_dir().resolve()
    return f"sqlite:///{data / 'mlflow' / 'mlflow.db'}"


def use_tracking(uri: str | None = None) -> str:
    """Point mlflow at ``uri`` (or the default) and make sure the experiment exists.

    A URI that MLflow cannot use (an unknown scheme, a plain path, a file that is not a
    database) fails at the first contact, in one line that names it."""
    import mlflow

    uri = uri or default_tracking_uri()
    artifacts = None
    if uri.startswith("sqlite:///"):
        database = Path(uri.removeprefix("sqlite:///"))
        try:
            database.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UserInputError(f"tracking URI '{uri}': cannot create {database.parent} ({error.strerror})") from None
        artifacts = (database.parent / "artifacts").as_uri()
    if urlparse(uri).scheme in ("http", "https"):
        _probe_server(uri)
    mlflow.set_tracking_uri(uri)
    if _first_contact(uri) is None:
        try:
            mlflow.create_experiment(EXPERIMENT, artifact_location=artifacts)
        except mlflow.exceptions.MlflowException:
            if mlflow.get_experiment_by_name(EXPERIMENT) is None:  # not a lost creation race
                raise
    mlflow.set_experiment(EXPERIMENT)
    return uri


def read_tracking(uri: str | None = None) -> str:
    """``use_tracking`` for a command that only reads the registry: a SQLite database
    that does not exist is refused, where creating it would answer "no such model" from
    an empty registry and leave the empty database behind."""
    uri = uri or default_tracking_uri()
    database = uri.removeprefix("sqlite:///")
    if uri.startswith("sqlite:///") and not Path(database).is_file():
        raise UserInputError(f"{database}: no MLflow database (run the bootstrap DAG first)")
    return use_tracking(uri)


def _probe_server(uri: str) -> None:
    """Ask the server's health endpoint once, without retries. MLflow's client retries a
    refused connection or a 5xx seven times with backoff, about four minutes, before it
    reports anything; a step that cannot track should say so at once. A 4xx passes: a
    proxy may guard /health, and the real requests report what they find."""
    import requests

    try:
        response = requests.get(f"{uri.rstrip('/')}/health", timeout=PROBE_SECONDS)
    except requests.Timeout:
        raise UserInputError(f"tracking URI '{uri}': no answer from the tracking server in {PROBE_SECONDS} s") from None
    except requests.RequestException as error:
        reason = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(error))
        raise UserInputError(
            f"tracking URI '{uri}': cannot reach the tracking server ({reason[1] if reason else one_line(error)})"
        ) from None
    if response.status_code >= 500:
        raise UserInputError(
            f"tracking URI '{uri}': the tracking server answers {response.status_code} {response.reason} on /health"
        )


def _first_contact(uri: str):
    """The experiment, if it exists: the first call that opens the store behind ``uri``."""
    import mlflow
    from mlflow.tracking.registry import UnsupportedModelRegistryStoreURIException
    from sqlalchemy.exc import DBAPIError

    use = "use sqlite:///PATH or a tracking server's http(s):// URI"
    scheme = urlparse(uri).scheme
    try:
        return mlflow.get_experiment_by_name(EXPERIMENT)
    except UnsupportedModelRegistryStoreURIException:
        raise UserInputError(f"tracking URI '{uri}': unsupported scheme '{scheme}' ({use})") from None
    except DBAPIError as error:
        raise UserInputError(f"tracking URI '{uri}': not an MLflow database ({error.orig})") from None
    except mlflow.exceptions.MlflowException as error:
        if scheme in ("", "file"):
            raise UserInputError(f"tracking URI '{uri}': MLflow's file store is retired ({use})") from None
        raise UserInputError(f"tracking URI '{uri}': {one_line(error)}") from None
