"""A run's files (checkpoints, evaluation) under ``runs/<key>/`` in the object store.

Steps hand each other URIs, never tensors; a step downloads what it needs into a
temporary directory. The marker file is written last, so a run counts as finished only
when every file is there.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from upgradeflow.errors import UserInputError
from upgradeflow.store.object_store import ObjectStore, join

RUN_KEY = re.compile(r"^[0-9a-f]{16}$")  # spec.digest: 16 hex digits, so never a path


def check_run_key(key: str) -> str:
    if not RUN_KEY.match(key):
        raise UserInputError(f"run key {key!r}: not a run key (16 hex digits, as train_new_model prints)")
    return key


def run_prefix(key: str) -> str:
    return join("runs", check_run_key(key))


def evaluation_prefix(key: str, champion_version: str) -> str:
    """Where run ``key``'s evaluation against one champion version lives: evaluate writes
    it, register logs it and the gate reads it."""
    return join(run_prefix(key), f"evaluation-champion-v{champion_version}")


def upload(store: ObjectStore, prefix: str, files: list[Path]) -> None:
    for path in files:
        store.write(join(prefix, path.name), path.read_bytes())


def download(store: ObjectStore, prefix: str, names: list[str], dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        (dest / name).write_bytes(store.read(join(prefix, name)))
    return dest


def write_json(store: ObjectStore, key: str, document: dict) -> None:
    store.write(key, (json.dumps(document, indent=2, sort_keys=True) + "\n").encode())


def read_json(store: ObjectStore, key: str) -> dict | None:
    try:
        return json.loads(store.read(key))
    except FileNotFoundError:
        return None
