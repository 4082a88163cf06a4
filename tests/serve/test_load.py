"""The service under load while an upgrade moves its pointers (a short run of the
benchmark): no failed request, every answer exactly that of the version it names, and
every change picked up, and a corrupt index refused before it goes live."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "serve_load.py"


@pytest.mark.slow
def test_service_answers_every_request_from_one_version_while_the_pointers_move(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("serve_load", BENCHMARK)
    serve_load = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "serve_load", serve_load)
    spec.loader.exec_module(serve_load)

    result = serve_load.main(["--rows", "8000", "--seconds", "10", "--clients", "3", "--out", str(tmp_path / "r.json")])

    assert result["requests"] > 100
    assert result["failed"] == 0, result["failures"]
    assert result["mixed_or_wrong"] == 0
    assert all(step["picked_up"] for step in result["steps"]), result["steps"]
    versions = result["answers_by_version"]
    assert {"v1.flat + backfill -", "v2.flat + backfill [0]", "v2.flat + backfill [0, 1]"} <= set(versions)
    assert result["final_status_error"] is None  # the corrupt index never went live
