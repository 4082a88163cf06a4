"""Reading the DAGs as the scheduler does, in a fresh process with Airflow's own DagBag."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DAGS = Path(__file__).resolve().parents[2] / "dags"


def probe_dags(script: str, airflow_home: Path):
    """Run ``script`` (given the DAG folder as its argument) and return the JSON it prints last."""
    env = {**os.environ, "AIRFLOW_HOME": str(airflow_home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    out = subprocess.run(
        [sys.executable, "-c", script, str(DAGS)], env=env, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])
