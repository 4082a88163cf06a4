"""Steps fail with one line and a distinct exit status, before doing any work."""

import subprocess
import sys

import pytest


def run_step(step: str, *args: str, tmp_path) -> subprocess.CompletedProcess:
    env = {"UPGRADEFLOW_STORE": str(tmp_path / "store"), "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/mlflow.db"}
    import os

    return subprocess.run(
        [sys.executable, "-m", f"tasks.{step}", *args], capture_output=True, text=True, env={**os.environ, **env}
    )


@pytest.mark.parametrize(
    ("step", "args", "message"),
    [
        ("gate", ["--run-key", "k", "--compatibility-metrics", "recall"], "compatibility metrics must be among"),
        ("gate", ["--run-key", "k", "--min-new-evolved", "120"], "min_new_evolved must be within"),
        ("plan_shards", ["--run-key", "0123456789abcdef", "--gallery", "g"], "no finished training run with this key"),
        ("evolve_shard", ["--run-key", "0123456789abcdef", "--gallery", "g", "--shards", "x"], "--shards takes N"),
        ("evolve_shard", ["--run-key", "0123456789abcdef", "--gallery", "g", "--shards", "0"], "no finished training"),
        ("plan_shards", ["--run-key", "../../etc", "--gallery", "g"], "run key '../../etc': not a run key"),
        ("gate", ["--run-key", "../../etc"], "run key '../../etc': not a run key"),
        ("gate", ["--run-key", "0123456789abcdef", "--tracking-uri", "bogus://x"], "unsupported scheme 'bogus'"),
        ("train_new_model", ["--old-model", "latest"], "not a registered model URI"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(step, args, message, tmp_path):
    result = run_step(step, *args, tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"python -m tasks.{step}: error:")]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert "Warning" not in result.stderr  # e.g. MLflow's "Add type hints to the `predict` method"
