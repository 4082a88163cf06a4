from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from upgradeflow.encoders.base import Encoder, embed_stream, fingerprint, model_files
from upgradeflow.errors import UserInputError


class Doubling(Encoder):
    """Vectors of (length, 2 * length): easy to check after normalisation."""

    kind, modality, dimension, source, preprocessing, fingerprint = "test", "text", 2, "doubling", {}, "x"

    def __init__(self, width: int = 2) -> None:
        self.width = width

    def _embed(self, items: Sequence) -> np.ndarray:
        return np.array([[len(item), 2 * len(item), 0][: self.width] for item in items], dtype=np.float64)


def test_encode_returns_unit_float32_rows():
    vectors = Doubling().encode(["ab", "abcd"])
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, np.array([[1, 2], [1, 2]]) / np.sqrt(5), rtol=1e-6)


def test_an_empty_batch_has_the_dimension():
    assert Doubling().encode([]).shape == (0, 2)


def test_a_model_giving_the_wrong_width_is_caught():
    with pytest.raises(UserInputError, match=r"shape \(1, 3\).*expected 2"):
        Doubling(width=3).encode(["a"])


def test_stream_embeds_in_batches_and_keeps_order():
    items = ["a" * n for n in range(1, 8)]
    batches = list(embed_stream(Doubling(), iter(items), batch_size=3))
    assert [len(b) for b in batches] == [3, 3, 1]
    assert np.concatenate(batches).shape == (7, 2)


def test_stream_refuses_a_zero_batch():
    with pytest.raises(UserInputError, match="batch size 0"):
        next(embed_stream(Doubling(), ["a"], batch_size=0))


def test_dimension_and_modality_checks_say_what_differs():
    encoder = Doubling()
    with pytest.raises(UserInputError, match="gives 2-d vectors, but the gallery holds 128-d"):
        encoder.check_dimension(128, "the gallery")
    with pytest.raises(UserInputError, match=r"data\.parquet holds image items, but doubling embeds texts"):
        encoder.check_modality("image", "data.parquet")
    encoder.check_modality("text", "data.parquet")


def test_fingerprint_follows_bytes_names_and_settings(tmp_path: Path):
    (tmp_path / "weights.bin").write_bytes(b"\x00\x01")
    (tmp_path / "README.md").write_text("about")
    files = model_files(tmp_path)
    assert [f.name for f in files] == ["weights.bin"]
    first = fingerprint(files, tmp_path, {"size": 32})
    assert fingerprint(files, tmp_path, {"size": 32}) == first
    assert fingerprint(files, tmp_path, {"size": 64}) != first
    (tmp_path / "weights.bin").write_bytes(b"\x00\x02")
    assert fingerprint(files, tmp_path, {"size": 32}) != first
