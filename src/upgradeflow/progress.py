"""Progress over streams of record batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyarrow as pa
from tqdm import tqdm


def counted(batches: Iterable[pa.RecordBatch], bar: tqdm) -> Iterator[pa.RecordBatch]:
    """Pass batches through, advancing ``bar`` by their rows.

    ``tqdm.update`` returns whether it redrew the bar, so it cannot be chained into an
    expression such as ``bar.update(n) or batch``: that yields ``True`` whenever the bar
    refreshes.
    """
    for batch in batches:
        bar.update(batch.num_rows)
        yield batch
