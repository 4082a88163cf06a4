from __future__ import annotations

import pytest

from tests.store.helpers import write_embeddings
from upgradeflow.cli.main import main


@pytest.fixture
def index_store(tmp_path) -> str:
    """A local store with a 20-row gallery ``g`` and its flat index live."""
    store = str(tmp_path / "store")
    source = write_embeddings(tmp_path / "g.parquet", 20)
    assert main(["gallery", "import", "g", "--from", str(source), "--version", "v1", "--store", store]) == 0
    assert main(["index", "build", "g", "--gallery", "g", "--store", store, "--no-progress"]) == 0
    assert main(["index", "swap", "g", "v1.flat", "--store", store]) == 0
    return store
