"""DAG files parse without import errors and without importing torch (the scheduler
parses them often; torch would cost seconds and hundreds of MB each time)."""

import json
import os
import subprocess
import sys
from pathlib import Path

DAGS = Path(__file__).resolve().parents[2] / "dags"
PROBE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(sys.argv[1])
print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": sorted(bag.dag_ids),
                  "torch": "torch" in sys.modules, "mlflow": "mlflow" in sys.modules}))
"""


def test_dags_parse_without_torch(tmp_path):
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(DAGS)], env=env, capture_output=True, text=True, check=True
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["errors"] == {}
    assert result["dags"] == ["bootstrap", "model_upgrade", "rollback"]
    assert not result["torch"] and not result["mlflow"]
