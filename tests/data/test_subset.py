from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from upgradeflow.data.subset import sample_identities
from upgradeflow.errors import UserInputError


def labelled(path, identities: int = 10, per_identity: int = 3):
    rows = [(f"{i}-{j}", i, "train" if i < 6 else "test") for i in range(identities) for j in range(per_identity)]
    ids, labels, split = zip(*rows, strict=True)
    pq.write_table(pa.table({"id": ids, "identity": pa.array(labels, pa.int64()), "split": split}), path,
                   row_group_size=7)  # fmt: skip
    return path


def test_every_row_of_the_drawn_identities_is_kept(tmp_path):
    counts = sample_identities(labelled(tmp_path / "all.parquet"), tmp_path / "some.parquet", 4, seed=1)
    table = pq.read_table(tmp_path / "some.parquet")
    assert counts == {"identities": 4, "rows": 12} and table.num_rows == 12
    kept = table.column("identity").to_pylist()
    assert len(set(kept)) == 4 and all(kept.count(i) == 3 for i in set(kept))
    assert table.schema.names == ["id", "identity", "split"]
    sample_identities(tmp_path / "all.parquet", tmp_path / "again.parquet", 4, seed=1)
    assert pq.read_table(tmp_path / "again.parquet").equals(table)


def test_more_identities_than_there_are_is_one_line(tmp_path):
    with pytest.raises(UserInputError, match=r"--identities 11: .* has 10"):
        sample_identities(labelled(tmp_path / "all.parquet"), tmp_path / "some.parquet", 11)
    assert not (tmp_path / "some.parquet").exists()
