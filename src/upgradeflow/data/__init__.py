"""Datasets: the glyph benchmark, Fashion-MNIST and a user's own images."""

import os
from pathlib import Path

DATA_ENV = "UPGRADEFLOW_DATA"


def default_data_dir() -> Path:
    """Where datasets, their caches and the local MLflow database live unless a command
    names another place: ``$UPGRADEFLOW_DATA``, else ``data`` in the working directory."""
    return Path(os.environ.get(DATA_ENV, "data"))
