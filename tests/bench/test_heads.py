"""The heads benchmark end to end on tiny text encoders (random weights: the figures mean
nothing, the bookkeeping is what is checked), and its verdict on figures given."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.encoders.conftest import tiny_bert, tiny_sentence_transformer  # noqa: F401
from upgradeflow.bench.heads import HEAD_PAIRS, heads_benchmark, verdict
from upgradeflow.data.items import read_items
from upgradeflow.encoders.text import SentenceTransformerEncoder
from upgradeflow.methods.registry import parse_methods
from upgradeflow.store.location import open_store
from upgradeflow.training.loop import TrainConfig

WORDS = ["dog", "cat", "man", "guitar", "music", "stock", "market", "fell", "plays", "sharply"]


def text_items(path, identities: int = 30, per_identity: int = 4):
    rows = [(f"{i}-{j}", i, f"{WORDS[i % 10]} {WORDS[(i // 10 + j) % 10]} {WORDS[j]}")
            for i in range(identities) for j in range(per_identity)]  # fmt: skip
    ids, labels, texts = zip(*rows, strict=True)
    pq.write_table(pa.table({"id": ids, "identity": pa.array(labels, pa.int64()), "text": texts}), path)
    return read_items(path)


@pytest.fixture(scope="module")
def result(tiny_sentence_transformer, tiny_bert, tmp_path_factory):  # noqa: F811
    root = tmp_path_factory.mktemp("heads")
    items = text_items(root / "texts.parquet")
    old, new = SentenceTransformerEncoder(tiny_sentence_transformer), SentenceTransformerEncoder(tiny_bert)
    config = TrainConfig(epochs=2, batch_size=16, augment=False, device="cpu")
    methods = parse_methods("independent,bct,dmu,lambda-orthogonal")
    return heads_benchmark(old, new, items, open_store(str(root / "store")), methods, [0, 1], config, progress=False)


def test_every_method_and_seed_is_measured_on_every_pair(result):
    assert set(result["methods"]) == {"independent", "bct", "dmu", "lambda-orthogonal"}
    for method in result["methods"].values():
        assert [run["seed"] for run in method["runs"]] == [0, 1]
        assert set(method["mean"]) == set(HEAD_PAIRS)
    assert set(result["reference"]) == {"old/old", "backbone/backbone", "imitation/old"}
    assert sum(result["data"]["rows"].values()) == 120


def test_the_verdict_agrees_with_the_figures(result):
    old_old = result["reference"]["old/old"]["map@100"]
    for name, method in result["methods"].items():
        gain = result["verdict"]["new_old_minus_old_old"][name]
        assert gain == pytest.approx(method["mean"]["new/old"]["map@100"] - old_old, abs=0.01)
    assert result["features"]["old"]["reused_rows"] == 0


def test_verdict_names_the_heads_that_beat_old_old_best_first():
    def method(new_old: float, new_new: float) -> dict:
        return {"mean": {"new/old": {"map@100": new_old}, "new/new": {"map@100": new_new}}}

    reference = {"old/old": {"map@100": 40.0}}
    methods = {"independent": method(1.0, 60.0), "bct": method(41.0, 55.0), "dmu": method(43.5, 57.0)}
    judged = verdict(reference, methods)
    assert judged["beats_old_old"] == ["dmu", "bct"]
    assert judged["new_new_minus_independent"] == {"bct": -5.0, "dmu": -3.0}
    judged = verdict(reference, {"bct": method(39.0, 55.0)})
    assert judged["beats_old_old"] == [] and judged["new_new_minus_independent"] == {}
