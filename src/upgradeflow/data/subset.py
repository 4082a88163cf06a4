"""A seeded sample of a labelled Parquet file's identities, every row of each kept.

Trying a pretrained upgrade on a sample first is how a team sizes it: encoding is the
slow part, and it grows with rows. Sampling by identity keeps every identity whole, so
the open-set split and the retrieval roles mean on the sample what they meant on the
whole; ``split``/``role`` columns are kept as they are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from upgradeflow.atomic import atomic_path
from upgradeflow.embeddings import read_parquet_schema, read_parquet_table
from upgradeflow.errors import UserInputError


def sample_identities(source: str | Path, out: str | Path, identities: int, seed: int = 0) -> dict:
    """Write the rows of ``identities`` identities drawn from ``source`` to ``out``,
    a record batch at a time; returns the counts."""
    source, out = Path(source), Path(out)
    if "identity" not in read_parquet_schema(source).names:
        raise UserInputError(f"{source}: no 'identity' column to sample by")
    labels = np.unique(read_parquet_table(source, ["identity"]).column("identity").to_numpy())
    if identities > len(labels):
        raise UserInputError(f"--identities {identities}: {source} has {len(labels)}")
    kept = pa.array(np.sort(np.random.default_rng(seed).choice(labels, identities, replace=False)))
    reader = pq.ParquetFile(source)
    rows = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp, pq.ParquetWriter(tmp, reader.schema_arrow) as writer:
        for batch in reader.iter_batches(batch_size=4096):
            chosen = batch.filter(pc.is_in(batch.column("identity"), value_set=kept))
            writer.write_batch(chosen)
            rows += chosen.num_rows
    return {"identities": identities, "rows": rows}
