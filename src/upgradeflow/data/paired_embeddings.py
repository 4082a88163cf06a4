"""Paired embeddings: the same items embedded by the old and the new model.

This is all a user with fixed models (a vendor's embedding API, a frozen backbone) can
give: no raw data, no training. ``train`` rows teach the adapters; ``query`` and
``gallery`` rows measure the upgrade. Old and new dimensions may differ. The whole file
is checked before anything is fitted, so a bad file costs seconds, not a fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from upgradeflow.atomic import atomic_path
from upgradeflow.embeddings import read_parquet_schema, read_parquet_table, squared_norms, vectors
from upgradeflow.errors import UserInputError
from upgradeflow.store.shard_format import embedding_array

ROLES = ("train", "query", "gallery")
COLUMNS = ("id", "identity", "role", "old_embedding", "new_embedding")
REQUIRED = ("id", "role", "old_embedding", "new_embedding")  # identity: evaluation needs it, fitting does not


@dataclass(frozen=True)
class PairedPart:
    old: np.ndarray  # float32 [N, d_old], L2-normalised
    new: np.ndarray  # float32 [N, d_new], L2-normalised
    identities: np.ndarray  # int64 [N]; a train row without identity has one of its own


def read_pairs(path: str | Path, *, evaluate: bool = True) -> dict[str, PairedPart]:
    """Every role's rows, the whole file checked before any of it is used: one line
    naming the first problem found.

    Legal: any number of rows per identity, identities only in train, train rows without
    identities (each then stands alone). ``evaluate`` also needs query and gallery rows,
    an identity on each, and a query identity that the gallery holds; without it only the
    train rows are returned.
    """
    path = Path(path)
    names = read_parquet_schema(path).names
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise UserInputError(
            f"{path}: missing column(s) {', '.join(missing)} (a pairs file needs {', '.join(REQUIRED)}, "
            "and 'identity' to evaluate)"
        )
    # The small columns first: most mistakes show there, before the embeddings are read at all.
    table = read_parquet_table(path, [name for name in ("id", "role", "identity") if name in names])
    roles = _roles(table, path, evaluate)
    _check_ids(table.column("id"), path)
    identities = _identities(table, roles, path, evaluate)
    spaces = {
        name: _unit_vectors(read_parquet_table(path, [name]), name, path) for name in ("old_embedding", "new_embedding")
    }
    kept = ROLES if evaluate else ("train",)
    return {
        role: PairedPart(spaces["old_embedding"][roles == role], spaces["new_embedding"][roles == role],
                         identities[roles == role])
        for role in kept
    }  # fmt: skip


def _roles(table: pa.Table, path: Path, evaluate: bool) -> np.ndarray:
    column = table.column("role")
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        raise UserInputError(f"{path}: column 'role' must hold strings, got {column.type}")
    if column.null_count:
        raise UserInputError(f"{path}: {column.null_count} rows have no role (roles are {', '.join(ROLES)})")
    roles = np.asarray(column.to_numpy(zero_copy_only=False), dtype=object)
    unknown = sorted({str(r) for r in pc.unique(column).to_pylist()} - set(ROLES))
    if unknown:
        raise UserInputError(f"{path}: unknown role(s) {unknown} (roles are {', '.join(ROLES)})")
    needed = ROLES if evaluate else ("train",)
    absent = [role for role in needed if not (roles == role).any()]
    if absent:
        what = (
            "adapters are fitted on train rows" if absent[0] == "train" else "evaluation needs query and gallery rows"
        )
        raise UserInputError(f"{path}: no '{absent[0]}' rows ({what})")
    if (roles == "train").sum() < 2:
        raise UserInputError(f"{path}: 1 'train' row; fitting a map needs at least two")
    return roles


def _check_ids(column: pa.ChunkedArray, path: Path) -> None:
    if column.null_count:
        raise UserInputError(f"{path}: {column.null_count} rows have no id")
    counts = pc.value_counts(column)
    repeated = pc.filter(counts.field("counts"), pc.greater(counts.field("counts"), 1))
    if len(repeated):
        first = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))[0].as_py()
        raise UserInputError(f"{path}: {len(repeated)} ids occur more than once (first: {first!r}); ids must be unique")


def _identities(table: pa.Table, roles: np.ndarray, path: Path, evaluate: bool) -> np.ndarray:
    """int64 identities; train rows without one get identities of their own (above every given one)."""
    if "identity" not in table.schema.names:
        if evaluate:
            raise UserInputError(
                f"{path}: no 'identity' column; evaluation needs the identity of every query and gallery row "
                "(adapters fit works without)"
            )
        return np.arange(len(roles), dtype=np.int64)
    column = table.column("identity")
    if not pa.types.is_integer(column.type) and not pa.types.is_null(column.type):
        raise UserInputError(f"{path}: column 'identity' must be integers, got {column.type}")
    missing = np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if evaluate:
        for role in ("query", "gallery"):
            count = int((missing & (roles == role)).sum())
            if count:
                raise UserInputError(
                    f"{path}: {count} '{role}' rows have no identity (evaluation needs one for every query "
                    "and gallery row)"
                )
    identities = np.array(pc.fill_null(column.cast(pa.int64()), 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    if missing.any():
        base = int(identities[~missing].max()) + 1 if (~missing).any() else 0
        identities[missing] = base + np.arange(int(missing.sum()))
    if evaluate:
        gallery = np.unique(identities[roles == "gallery"])
        if not np.isin(identities[roles == "query"], gallery).any():
            raise UserInputError(f"{path}: no query identity occurs among the gallery rows: nothing to evaluate")
    return identities


def _unit_vectors(table: pa.Table, name: str, path: Path) -> np.ndarray:
    """The column as unit rows, once every row is known to have a usable norm."""
    values = vectors(table, name, path)
    return values / np.sqrt(squared_norms(values, path, name)).astype(np.float32)[:, None]


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
            **{name: embedding_array(np.concatenate(columns[name])) for name in ("old_embedding", "new_embedding")},
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return path
