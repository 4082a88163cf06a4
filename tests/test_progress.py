import io

import pyarrow as pa
from tqdm import tqdm

from upgradeflow.progress import counted


def test_batches_pass_through_even_when_the_bar_redraws():
    batch = pa.record_batch({"x": [1, 2]})
    with tqdm(total=6, mininterval=0, miniters=1, file=io.StringIO()) as bar:
        out = list(counted([batch, batch, batch], bar))
        assert bar.n == 6
    assert all(b is batch for b in out)
