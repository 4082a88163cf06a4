"""Paired embeddings: the same items embedded by the old and the new model.

This is all a user with fixed models (a vendor's embedding API, a frozen backbone) can
give: no raw data, no training. ``train`` rows teach the adapters; ``query`` and
``gallery`` rows measure the upgrade. Old and new dimensions may differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from upgradeflow.atomic import atomic_path
from upgradeflow.embeddings import read_parquet_table, vectors
from upgradeflow.errors import UserInputError

ROLES = ("train", "query", "gallery")
COLUMNS = ("id", "identity", "role", "old_embedding", "new_embedding")


@dataclass(frozen=True)
class PairedPart:
    old: np.ndarray  # float32 [N, d_old], L2-normalised
    new: np.ndarray  # float32 [N, d_new], L2-normalised
    identities: np.ndarray  # int64 [N]


def read_pairs(path: str | Path) -> dict[str, PairedPart]:
    """Every role's rows, checked: one line naming the first problem found."""
    path = Path(path)
    table = read_parquet_table(path)
    missing = [c for c in COLUMNS if c not in table.schema.names]
    if missing:
        raise UserInputError(
            f"{path}: missing column(s) {', '.join(missing)} (a pairs file needs {', '.join(COLUMNS)})"
        )
    if not pa.types.is_integer(table.schema.field("identity").type):
        raise UserInputError(f"{path}: column 'identity' must be integers")
    roles = np.asarray(table.column("role").to_pylist(), dtype=object)
    unknown = sorted({str(r) for r in roles} - set(ROLES))
    if unknown:
        raise UserInputError(f"{path}: unknown role(s) {unknown} (roles are {', '.join(ROLES)})")
    absent = [role for role in ROLES if not (roles == role).any()]
    if absent:
        raise UserInputError(f"{path}: no '{absent[0]}' rows (a pairs file needs train, query and gallery rows)")
    identity = table.column("identity")
    if identity.null_count:
        nulls = np.asarray(identity.is_null().to_pylist())
        role = next(r for r in ROLES if (nulls & (roles == r)).any())
        raise UserInputError(f"{path}: {int((nulls & (roles == role)).sum())} '{role}' rows have no identity")
    identities = np.asarray(identity.to_numpy(zero_copy_only=False), dtype=np.int64)
    spaces = {}
    for name in ("old_embedding", "new_embedding"):
        values = vectors(table, name, path)
        bad = ~np.isfinite(values).all(axis=1)
        if bad.any():
            raise UserInputError(f"{path}: {int(bad.sum())} rows have NaN or infinite values in '{name}'")
        norms = np.linalg.norm(values, axis=1, keepdims=True)
        if (norms == 0).any():
            raise UserInputError(f"{path}: {int((norms == 0).sum())} rows have an all-zero '{name}'")
        spaces[name] = values / norms
    train_identities = np.unique(identities[roles == "train"])
    if len(train_identities) < 2:
        raise UserInputError(f"{path}: train rows hold {len(train_identities)} identity; adapters need at least two")
    return {
        role: PairedPart(spaces["old_embedding"][roles == role], spaces["new_embedding"][roles == role],
                         identities[roles == role])
        for role in ROLES
    }  # fmt: skip


def write_pairs(path: str | Path, parts: dict[str, PairedPart], ids: dict[str, np.ndarray] | None = None) -> Path:
    """Write ``parts`` (role to rows) as one pairs file; ids default to ``role-row``."""
    path = Path(path)
    columns: dict[str, list] = {name: [] for name in COLUMNS}
    for role, part in parts.items():
        columns["id"] += [str(i) for i in (ids or {}).get(role, [f"{role}-{n}" for n in range(len(part.identities))])]
        columns["identity"] += part.identities.tolist()
        columns["role"] += [role] * len(part.identities)
        columns["old_embedding"].append(part.old)
        columns["new_embedding"].append(part.new)
    table = pa.table(
        {
            "id": pa.array(columns["id"], pa.string()),
            "identity": pa.array(columns["identity"], pa.int64()),
            "role": pa.array(columns["role"], pa.string()),
            **{name: _fixed(np.concatenate(columns[name])) for name in ("old_embedding", "new_embedding")},
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return path


def _fixed(values: np.ndarray) -> pa.Array:
    values = np.ascontiguousarray(values, dtype=np.float32)
    return pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), values.shape[1])
