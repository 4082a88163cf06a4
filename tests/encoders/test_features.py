from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from upgradeflow.data.items import read_items
from upgradeflow.encoders.features import MANIFEST, cache_key, encoded_features
from upgradeflow.encoders.text import SentenceTransformerEncoder
from upgradeflow.errors import UserInputError
from upgradeflow.store.location import open_store
from upgradeflow.store.object_store import join


class Counting:
    """Wraps an encoder and counts the items it really encodes."""

    def __init__(self, encoder) -> None:
        self.encoder, self.encoded = encoder, 0

    def __getattr__(self, name):
        return getattr(self.encoder, name)

    def encode(self, items):
        self.encoded += len(items)
        return self.encoder.encode(items)


@pytest.fixture
def texts(tmp_path):
    table = pa.table({"id": [f"t{i}" for i in range(23)], "text": [f"the dog {i} sleeps" for i in range(23)]})
    pq.write_table(table, tmp_path / "texts.parquet")
    return read_items(tmp_path / "texts.parquet")


def test_a_second_pass_reads_every_vector_from_the_cache(tiny_sentence_transformer, texts, store_uri):
    store = open_store(store_uri)
    encoder = Counting(SentenceTransformerEncoder(tiny_sentence_transformer))
    first = encoded_features(encoder, texts, store, batch_size=4, shard_rows=10)
    assert (encoder.encoded, first.reused_rows) == (23, 0)
    np.testing.assert_allclose(first.vectors, encoder.encoder.encode(list(texts.items())), atol=1e-6)
    second = encoded_features(encoder, texts, store, batch_size=4, shard_rows=10)
    assert (encoder.encoded, second.reused_rows) == (23, 23)
    np.testing.assert_array_equal(second.vectors, first.vectors)
    assert store.exists(join(first.key, MANIFEST))


def test_a_killed_run_resumes_from_its_finished_shards(tiny_sentence_transformer, texts, tmp_path):
    store = open_store(str(tmp_path / "store"))
    encoder = Counting(SentenceTransformerEncoder(tiny_sentence_transformer))
    first = encoded_features(encoder, texts, store, shard_rows=10)
    key = cache_key(encoder, texts)
    store.delete([join(key, "part-00001.parquet"), join(key, MANIFEST)])  # as if killed in shard 2
    encoder.encoded = 0
    resumed = encoded_features(encoder, texts, store, shard_rows=10)
    assert (encoder.encoded, resumed.reused_rows) == (10, 13)
    np.testing.assert_allclose(resumed.vectors, first.vectors, atol=1e-6)  # shard 2 is rows 10-19 again
    assert store.exists(join(key, MANIFEST))


def test_a_fully_cached_pass_never_reads_the_raw_items(tiny_sentence_transformer, texts, tmp_path):
    store = open_store(str(tmp_path / "store"))
    encoder = SentenceTransformerEncoder(tiny_sentence_transformer)
    first = encoded_features(encoder, texts, store, shard_rows=10)
    (tmp_path / "texts.parquet").unlink()  # the item set still knows its ids and fingerprint
    np.testing.assert_array_equal(encoded_features(encoder, texts, store, shard_rows=10).vectors, first.vectors)


def test_another_encoder_or_other_data_never_reads_these_vectors(tiny_sentence_transformer, tiny_bert, texts, tmp_path):
    store = open_store(str(tmp_path / "store"))
    sentence = SentenceTransformerEncoder(tiny_sentence_transformer)
    plain = SentenceTransformerEncoder(tiny_bert)
    assert cache_key(sentence, texts) != cache_key(plain, texts)
    encoded_features(sentence, texts, store)
    table = pq.read_table(texts.location)
    pq.write_table(table.set_column(1, "text", pa.array(["changed"] * 23)), tmp_path / "other.parquet")
    other = read_items(tmp_path / "other.parquet")
    assert encoded_features(sentence, other, store).reused_rows == 0


def test_images_given_to_a_text_encoder_are_refused_before_encoding(tiny_sentence_transformer, tmp_path):
    table = pa.table({"id": ["a"], "image": [b"\x89PNG"]})
    pq.write_table(table, tmp_path / "images.parquet")
    with pytest.raises(UserInputError, match=r"holds image items, but .* embeds texts"):
        encoded_features(
            SentenceTransformerEncoder(tiny_sentence_transformer),
            read_items(tmp_path / "images.parquet"),
            open_store(str(tmp_path / "s")),
        )
