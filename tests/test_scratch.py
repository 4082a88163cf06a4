"""Scratch directories: removed by their owner, or by anyone once the owner is dead."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from pathlib import Path

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


def _sweep_after_barrier(root: str, barrier, results) -> None:
    barrier.wait()
    try:
        results.put(sweep_dead_scratch(Path(root)))
    except BaseException as error:  # reported, so the test shows it instead of waiting
        results.put(repr(error))


def test_steps_sweeping_at_once_remove_each_dead_directory_once(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    owner = int(dead.stdout)
    for number in range(40):
        directory = tmp_path / f"upgradeflow-{owner}-run{number}-x"
        (directory / "nested").mkdir(parents=True)
        (directory / "nested" / "weights.pt").write_bytes(b"w" * 100)
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(4), spawn.Queue()
    sweepers = [spawn.Process(target=_sweep_after_barrier, args=(str(tmp_path), barrier, results)) for _ in range(4)]
    for sweeper in sweepers:
        sweeper.start()
    swept = [results.get(timeout=120) for _ in sweepers]
    for sweeper in sweepers:
        sweeper.join(timeout=30)
    assert all(isinstance(result, tuple) for result in swept), swept
    assert sum(count for count, _ in swept) == 40 and sum(size for _, size in swept) == 4000
    assert list(tmp_path.iterdir()) == []
