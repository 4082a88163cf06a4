"""Version metadata is checked whole when read, so a damaged document is one line
naming its key, before any shard is read through it."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from upgradeflow.errors import UserInputError
from upgradeflow.store.manifest import Plan, ShardRecord, check_manifest, check_name, manifest_document

RECORD = ShardRecord(0, "shards/shard-00000.parquet", 10, 2048, "a" * 64, 16, {"id": "string"})


@pytest.mark.parametrize("name", ["v1", "v1.backfill", "glyphs-2024_01", "a" * 128])
def test_names_that_stay_inside_their_folder_are_taken(name):
    assert check_name("version", name) == name


@pytest.mark.parametrize("name", ["..", "../v1", "v1/shards", ".hidden", "", "a" * 129, "v 1"])
def test_names_that_could_leave_their_folder_are_refused(name):
    with pytest.raises(UserInputError, match=r"^version name .*: use letters, digits"):
        check_name("version", name)


def test_records_and_plans_read_back_as_written():
    assert ShardRecord.from_json(RECORD.to_json(), "r") == RECORD
    plan = Plan(shards=3, parent="v1", producer={"kind": "adapter"})
    assert Plan.from_json(plan.to_json(), "p") == plan
    assert Plan.from_json(b'{"shards": 1, "parent": null}', "p").producer == {}  # a default may be left out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"path": "../../other/shard.parquet"}, "leaves its version's folder"),
        ({"path": "/etc/passwd"}, "leaves its version's folder"),
        ({"rows": -1}, "'rows' must be at least 0, got -1"),
        ({"dimension": 0}, "'dimension' must be at least 1"),
        ({"rows": True}, "'rows' must be int, got bool"),
        ({"source_sha256": 7}, "'source_sha256' must be str or null, got int"),
    ],
)
def test_a_record_that_does_not_hold_is_refused(change, message):
    document = asdict(RECORD) | change
    with pytest.raises(UserInputError, match=f"^where: corrupt metadata: .*{message}"):
        ShardRecord.from_document(document, "where")


def test_a_manifest_of_committed_shards_passes_its_own_check():
    plan = Plan(shards=2, parent="v1", producer={"kind": "import"})
    second = ShardRecord(1, "shards/shard-00001.parquet", 5, 1024, "b" * 64, 16, {"id": "string"})
    document = json.loads(json.dumps(manifest_document("g", "v2", plan, [RECORD, second], "2024-01-01T00:00:00Z")))
    assert check_manifest(document, "m") == document
    assert (document["rows"], document["dimension"], document["parent"]) == (15, 16, "v1")
    document["shards"][1] = "shard-00001.parquet"
    with pytest.raises(UserInputError, match=r"m shards\[1\]: corrupt metadata: not a JSON object \(a str\)"):
        check_manifest(document, "m")
