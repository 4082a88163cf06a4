"""Scratch directories: removed by their owner, or by anyone once the owner is dead."""

from __future__ import annotations

import subprocess
import sys

from upgradeflow.scratch import scratch, sweep_dead_scratch

KILLED_OWNER = """
import os, signal, sys
from upgradeflow.scratch import scratch_for_process
directory = scratch_for_process("run")
(directory / "model.pt").write_bytes(b"x" * 4096)
print(directory, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_owners_scratch_is_swept_and_a_live_ones_is_not(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    killed = subprocess.run([sys.executable, "-c", KILLED_OWNER], capture_output=True, text=True, check=False)
    assert killed.returncode == -9
    left = tmp_path / killed.stdout.strip().rsplit("/", 1)[1]
    assert left.is_dir()  # SIGKILL leaves it behind
    with scratch("mine") as mine:
        (mine / "file").write_bytes(b"y" * 10)
        assert sweep_dead_scratch(tmp_path) == (1, 4096)
        assert mine.is_dir() and not left.exists()


def test_a_finished_owner_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    code = "from upgradeflow.scratch import scratch_for_process; scratch_for_process('x')"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert list(tmp_path.iterdir()) == []
