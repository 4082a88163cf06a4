"""Scratch directories in the system temp directory, and sweeping those of dead processes.

Downloads and uploads go through local files. A process that ends normally removes its
scratch directories; one killed with SIGKILL cannot, and on a long-lived worker host
(``airflow standalone``, a VM running many steps) those add up to gigabytes. Each
scratch directory therefore carries its owner's process id, so any later process on the
host can tell a dead owner's directory from a live one and remove it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

PREFIX = "upgradeflow-"
_OWNED = re.compile(rf"^{PREFIX}(\d+)-")


def _prefix(label: str) -> str:
    return f"{PREFIX}{os.getpid()}-{label}-" if label else f"{PREFIX}{os.getpid()}-"


@contextlib.contextmanager
def scratch(label: str = "") -> Iterator[Path]:
    """A scratch directory removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix=_prefix(label)) as directory:
        yield Path(directory)


def scratch_for_process(label: str = "") -> Path:
    """A scratch directory that lives until the process exits (files a step reads
    throughout, such as a run's checkpoints)."""
    directory = Path(tempfile.mkdtemp(prefix=_prefix(label)))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def dead_scratch(root: Path | None = None) -> list[Path]:
    """Scratch directories under ``root`` (default: the system temp directory) whose
    owning process is gone."""
    root = Path(root or tempfile.gettempdir())
    dead = []
    for directory in sorted(root.glob(f"{PREFIX}*")):
        owner = _OWNED.match(directory.name)
        if directory.is_dir() and owner is not None and not _alive(int(owner.group(1))):
            dead.append(directory)
    return dead


def sweep_dead_scratch(root: Path | None = None) -> tuple[int, int]:
    """Remove scratch directories whose owning process is gone; (count, bytes).

    Steps starting together on one host all sweep at once, so a directory or file may
    vanish under one sweeper because another removed it first: that is not an error,
    and only the sweeper that removed a directory counts it."""
    count = size = 0
    for directory in dead_scratch(root):
        # Renamed to this process's own name first, atomically, so exactly one sweeper
        # wins each directory, and one killed mid-removal leaves a dead owner's directory.
        claimed = directory.with_name(f"{_prefix('swept')}{directory.name}")
        try:
            directory.rename(claimed)
        except OSError:
            continue
        size += sum(_size(f) for f in claimed.rglob("*"))
        shutil.rmtree(claimed, ignore_errors=True)
        count += 1
    return count, size


def _size(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0
