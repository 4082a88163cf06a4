"""A corrupt manifest, shard record or plan is the user's one-line error, found before
any shard is read or any index is built, on a local directory and on S3."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from tests.cli.test_main import main_user_error
from tests.store.helpers import unit_vectors, write_embeddings
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.location import open_store
from upgradeflow.store.manifest import Plan
from upgradeflow.store.shard_format import conform, shard_schema


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def edited(change):
    """A corruption that parses the document, applies ``change`` and writes it back."""

    def apply(data: bytes) -> bytes:
        document = json.loads(data)
        change(document)
        return json.dumps(document).encode()

    return apply


MANIFEST = "galleries/g/versions/v1/manifest.json"
RECORD = "galleries/g/versions/v2/shards/shard-00000.json"
PLAN = "galleries/g/versions/v2/plan.json"
SHOW, LIST = ["gallery", "show", "g"], ["gallery", "list", "g"]
COMMIT = ["gallery", "commit", "g", "v2", "--no-progress"]
BUILD = ["index", "build", "g", "--gallery", "g", "--no-progress"]

CASES = [
    ("manifest-truncated", MANIFEST, truncated, SHOW, "not valid JSON"),
    ("manifest-not-utf8", MANIFEST, lambda data: b"\xff\xfe" + data, LIST, "not valid JSON"),
    ("manifest-a-list", MANIFEST, lambda data: b"[]", LIST, "not a JSON object"),
    ("manifest-no-shards", MANIFEST, edited(lambda d: d.pop("shards")), BUILD, "missing 'shards'"),
    ("manifest-rows-text", MANIFEST, edited(lambda d: d.update(rows="many")), LIST, "'rows' must be int"),
    ("manifest-shard-without-checksum", MANIFEST, edited(lambda d: d["shards"][0].pop("sha256")), BUILD,
     "missing 'sha256'"),
    ("record-truncated", RECORD, truncated, COMMIT, "not valid JSON"),
    ("record-unknown-key", RECORD, edited(lambda d: d.update(colour="red")), LIST, "unknown 'colour'"),
    ("record-rows-text", RECORD, edited(lambda d: d.update(rows="ten")), COMMIT, "'rows' must be int"),
    ("plan-truncated", PLAN, truncated, LIST, "not valid JSON"),
    ("plan-shards-text", PLAN, edited(lambda d: d.update(shards="1")), COMMIT, "'shards' must be int"),
    ("plan-no-parent", PLAN, edited(lambda d: d.pop("parent")), COMMIT, "missing 'parent'"),
    ("plan-negative-shards", PLAN, edited(lambda d: d.update(shards=-1)), COMMIT, "'shards' must be at least 1"),
]  # fmt: skip


@pytest.fixture
def store_with_versions(store_uri, tmp_path) -> str:
    """``v1`` committed and live; ``v2`` staged on top of it with its one shard finished."""
    gallery = Gallery(open_store(store_uri), "g")
    import_tables(gallery, write_embeddings(tmp_path / "v1.parquet", 20), version="v1", progress=False)
    gallery.stage("v2", Plan(shards=1, parent="v1", producer={"kind": "test"}))
    source = write_embeddings(tmp_path / "v2.parquet", 20, vectors=unit_vectors(20, 16, 1))
    batch = conform(pq.read_table(source).to_batches()[0], "v2")
    gallery.write_shard("v2", 0, [batch], shard_schema(16, batch.schema.names))
    return store_uri


@pytest.mark.parametrize(("key", "corrupt", "command", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_corrupt_metadata_is_one_line_before_any_work(capsys, store_with_versions, key, corrupt, command, message):
    store = open_store(store_with_versions)
    store.write(key, corrupt(store.read(key)))
    before = store.list("")
    error = main_user_error(capsys, *command, "--store", store_with_versions)
    assert key in error and "corrupt metadata" in error and message in error, error
    assert store.list("") == before  # no manifest sealed, no index shard built


INDEX_MANIFEST = "indexes/g/versions/v1.flat/manifest.json"
INDEX_LIST, SWAP = ["index", "list", "g"], ["index", "swap", "g", "v1.flat"]
INDEX_CASES = [
    ("index-manifest-truncated", INDEX_MANIFEST, truncated, INDEX_LIST, "not valid JSON"),
    ("index-manifest-no-spec", INDEX_MANIFEST, edited(lambda d: d.pop("spec")), INDEX_LIST, "missing 'spec'"),
    ("index-manifest-bad-kind", INDEX_MANIFEST, edited(lambda d: d["spec"].update(kind="tree")), SWAP,
     "bad index spec"),
    ("index-manifest-shard-without-ids-checksum", INDEX_MANIFEST,
     edited(lambda d: d["shards"][0].pop("ids_sha256")), SWAP, "missing 'ids_sha256'"),
    ("index-manifest-shard-a-string", INDEX_MANIFEST, edited(lambda d: d.update(shards=["x"])), SWAP,
     "not a JSON object"),
]  # fmt: skip


@pytest.fixture
def store_with_index(store_with_versions, capsys) -> str:
    """``v1`` live in the gallery, with an index version built on it and not yet live."""
    from upgradeflow.cli.main import main

    assert main([*BUILD, "--store", store_with_versions]) == 0
    capsys.readouterr()
    return store_with_versions


@pytest.mark.parametrize(
    ("key", "corrupt", "command", "message"), [c[1:] for c in INDEX_CASES], ids=[c[0] for c in INDEX_CASES]
)
def test_corrupt_index_metadata_is_one_line_before_any_work(capsys, store_with_index, key, corrupt, command, message):
    store = open_store(store_with_index)
    store.write(key, corrupt(store.read(key)))
    before = store.list("")
    error = main_user_error(capsys, *command, "--store", store_with_index)
    assert key in error and "corrupt metadata" in error and message in error, error
    assert store.list("") == before  # no pointer moved
