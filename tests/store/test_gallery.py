"""Gallery versions end to end: import, evolve, commit, rollback, gc, and bad input."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch

from tests.store.helpers import make_adapter, read_version, unit_vectors, write_embeddings
from upgradeflow.errors import ConflictError, UserInputError
from upgradeflow.models.adapter import load_adapter
from upgradeflow.retention import collect_gallery
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.location import open_store
from upgradeflow.store.shard_format import embeddings_of
from upgradeflow.upgrade.evolve import evolve_shard


@pytest.fixture
def gallery(store_uri) -> Gallery:
    return Gallery(open_store(store_uri), "photos")


def test_import_evolve_commit_rollback(gallery, tmp_path):
    source = write_embeddings(tmp_path / "g.parquet", 1000, vectors=unit_vectors(1000, 16, 0))
    import_tables(gallery, source, version="v1", shard_rows=300, progress=False)
    manifest = gallery.manifest()
    assert (manifest["version"], manifest["rows"], [s["rows"] for s in manifest["shards"]]) == (
        "v1",
        1000,
        [300, 300, 300, 100],
    )
    assert manifest["dimension"] == 16 and manifest["schema"]["embedding"].endswith("float>[16]")
    original = read_version(gallery, "v1")

    adapter_path = make_adapter(tmp_path / "adapter")
    target, _, worked = evolve_shard(gallery, adapter_path, "v1", 2)
    assert worked and gallery.pointer().current == "v1"  # staged shards change nothing live
    assert not evolve_shard(gallery, adapter_path, "v1", 2)[2]  # finished shard: no-op
    for index in (0, 1, 3):
        evolve_shard(gallery, adapter_path, "v1", index)
    pointer = gallery.commit(target)
    assert (pointer.current, pointer.previous) == (target, "v1")

    evolved = read_version(gallery, target)
    assert evolved.column("id").to_pylist() == original.column("id").to_pylist()
    assert evolved.column("source").to_pylist() == original.column("source").to_pylist()
    with torch.inference_mode():
        expected = load_adapter(adapter_path)(torch.from_numpy(embeddings_of(original).copy())).numpy()
    np.testing.assert_allclose(embeddings_of(evolved), expected, atol=1e-5)
    digest = gallery.manifest(target)["producer"]["sha256"]
    assert set(evolved.column("model").to_pylist()) == {f"adapter:{digest[:12]}"}

    assert gallery.rollback().current == "v1"
    assert read_version(gallery, gallery.pointer().current).equals(original)
    with pytest.raises(UserInputError, match="immutable"):
        evolve_shard(gallery, adapter_path, "v1", 0, target_version="v1")


def test_gc_keeps_the_live_version_and_its_rollback_chain(gallery, tmp_path):
    source = write_embeddings(tmp_path / "g.parquet", 50)
    adapters = [make_adapter(tmp_path / f"a{i}", seed=i) for i in range(4)]
    import_tables(gallery, source, version="v0", shard_rows=20, progress=False)
    versions = ["v0"]
    for i, adapter in enumerate(adapters):
        versions.append(f"v{i + 1}")
        for shard in range(3):
            evolve_shard(gallery, adapter, versions[-2], shard, target_version=versions[-1])
        gallery.commit(versions[-1])
    gallery.rollback()  # live v3, previous v2, v4 rolled back
    assert collect_gallery(gallery, keep=0, grace_hours=0).deleted == ["v0", "v1", "v4"]
    states = {v.version: v.state for v in gallery.versions()}
    assert states == {"v2": "previous", "v3": "live"}
    assert read_version(gallery, "v2").num_rows == read_version(gallery, "v3").num_rows == 50
    assert gallery.rollback().current == "v2"
    # v3, rolled back from, is on no rollback chain now: past the grace period it goes too.
    assert collect_gallery(gallery, keep=5, grace_hours=0).deleted == ["v3"]
    assert collect_gallery(gallery, keep=5, grace_hours=0).deleted == []


def test_commit_needs_the_parent_to_be_live(gallery, tmp_path):
    import_tables(gallery, write_embeddings(tmp_path / "g.parquet", 40), version="v1", shard_rows=40, progress=False)
    a, b = make_adapter(tmp_path / "a", seed=1), make_adapter(tmp_path / "b", seed=2)
    evolve_shard(gallery, a, "v1", 0, target_version="from-a")
    evolve_shard(gallery, b, "v1", 0, target_version="from-b")
    gallery.commit("from-a")
    with pytest.raises(ConflictError, match="live version is from-a, not v1"):
        gallery.commit("from-b")
    assert gallery.pointer().current == "from-a"


def _live_state(gallery):
    return gallery.store.list(gallery.prefix), gallery.pointer()


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("nan", "NaN or inf"),
        ("not-normalised", "not L2-normalised"),
        ("duplicate-ids", "duplicate ids"),
        ("dimension", "embedding dimension 8, expected 16"),
    ],
)
def test_bad_input_is_rejected_before_commit(gallery, tmp_path, problem, message):
    import_tables(gallery, write_embeddings(tmp_path / "ok.parquet", 30), version="v1", progress=False)
    before = _live_state(gallery)
    folder = tmp_path / "in"
    folder.mkdir()
    vectors = unit_vectors(100, 16, 1)
    if problem == "nan":
        vectors[57, 3] = np.nan
    if problem == "not-normalised":
        vectors[10] *= 2
    write_embeddings(folder / "a.parquet", 100, vectors=vectors)
    if problem == "duplicate-ids":
        write_embeddings(folder / "b.parquet", 5, seed=3)  # ids item-0..4 again
    if problem == "dimension":
        write_embeddings(folder / "b.parquet", 5, dim=8, prefix="other")
    with pytest.raises(UserInputError, match=message):
        import_tables(gallery, folder, version="v2", shard_rows=40, progress=False)
    assert _live_state(gallery) == before  # staged shards removed, pointer untouched


def test_corrupt_or_missing_shard_is_caught(gallery, tmp_path):
    import_tables(gallery, write_embeddings(tmp_path / "g.parquet", 60), version="v1", shard_rows=20, progress=False)
    adapter = make_adapter(tmp_path / "a")
    for shard in range(3):
        evolve_shard(gallery, adapter, "v1", shard, target_version="v2")
    key = f"{gallery.prefix}/versions/v2/shards/shard-00001.parquet"
    with gallery.store.local_copy(key) as path:
        data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    gallery.store.write(key, bytes(data))
    with pytest.raises(UserInputError, match="shard 1 is corrupt"):
        gallery.commit("v2")
    gallery.store.delete([key])
    with pytest.raises(UserInputError, match="shard 1 is missing"):
        gallery.commit("v2")
    assert gallery.pointer().current == "v1"


def test_adapter_dimension_must_match(gallery, tmp_path):
    import_tables(gallery, write_embeddings(tmp_path / "g.parquet", 10), version="v1", progress=False)
    with pytest.raises(UserInputError, match=r"adapter takes 32-d input, .* holds 16-d"):
        evolve_shard(gallery, make_adapter(tmp_path / "a", in_dim=32), "v1", 0)
    assert [v.version for v in gallery.versions()] == ["v1"]


def test_shards_with_different_schemas_cannot_commit(gallery, tmp_path):
    from upgradeflow.store.manifest import Plan
    from upgradeflow.store.shard_format import conform

    gallery.stage("mixed", Plan(shards=2, parent=None, producer={"kind": "test"}))
    for index, dim in enumerate((16, 8)):
        table = pq.read_table(write_embeddings(tmp_path / f"{index}.parquet", 5, dim=dim, prefix=f"p{index}"))
        batch = conform(table.to_batches()[0], "test")
        gallery.write_shard("mixed", index, [batch], batch.schema)
    with pytest.raises(UserInputError, match="shard 1 has schema"):
        gallery.commit("mixed")
    assert gallery.pointer().current is None


def test_evolving_a_corrupt_shard_publishes_nothing(gallery, tmp_path):
    import_tables(gallery, write_embeddings(tmp_path / "g.parquet", 60), version="v1", shard_rows=60, progress=False)
    key = f"{gallery.prefix}/versions/v1/shards/shard-00000.parquet"
    with gallery.store.local_copy(key) as path:
        data = bytearray(path.read_bytes())
    adapter = make_adapter(tmp_path / "a")
    for position in (len(data) // 3, -20):
        changed = bytearray(data)
        changed[position] ^= 0x01  # in a data page (decodes), then in the footer (does not)
        gallery.store.write(key, bytes(changed))
        with pytest.raises(UserInputError, match="shard 0 is corrupt"):
            evolve_shard(gallery, adapter, "v1", 0, target_version="v2")
    assert gallery.finished_shard("v2", 0) is None
    assert not gallery.store.exists(f"{gallery.prefix}/versions/v2/shards/shard-00000.parquet")
