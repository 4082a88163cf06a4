"""A short run of the fault benchmark on real S3: commands killed with SIGKILL during
import, evolve, backfill, index build, commit and gc, each resumed, end with the same
live answers as a run never killed, and one gc leaves nothing behind."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "faults.py"


@pytest.mark.slow
@pytest.mark.s3
def test_killed_and_resumed_commands_change_no_answer_and_gc_leaves_nothing(s3_environment, tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("faults", BENCHMARK)
    faults = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "faults", faults)
    spec.loader.exec_module(faults)

    arguments = ["--rows", "2000", "--big-shard-rows", "2000", "--min-kills", "20"]
    result = faults.main([*arguments, "--out", str(tmp_path / "faults.json")])

    assert result["total_kills"] >= 20 and result["resumes"] == result["total_kills"]
    assert all(result["kills"][operation] >= 1 for operation in faults.OPERATIONS), result["kills"]
    assert result["answers_match"] and result["answers_match_after_gc"]
    after = result["leftovers_after_gc"]
    assert after["staged_versions"] == after["hidden_temp_objects"] == 0, after
    assert after["multipart_uploads"] == after["dead_scratch_dirs"] == 0, after
