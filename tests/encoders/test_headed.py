from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from upgradeflow.encoders.headed import load_headed, write_description
from upgradeflow.encoders.spec import load_encoder
from upgradeflow.encoders.text import SentenceTransformerEncoder
from upgradeflow.errors import UserInputError
from upgradeflow.models.adapter import AdapterConfig, MLPAdapter, apply_adapter, save_adapter

TEXTS = ["the dog", "a man plays guitar", "stock market"]


def head(in_dim: int = 32, out_dim: int = 8) -> MLPAdapter:
    torch.manual_seed(0)
    return MLPAdapter(AdapterConfig(in_dim, 16, out_dim, depth=2)).eval()


def test_a_backbone_and_its_head_embed_as_one_encoder(tmp_path, tiny_sentence_transformer):
    save_adapter(head(), tmp_path / "head.pt")
    write_description(tmp_path, f"sentence-transformers:{tiny_sentence_transformer}")
    encoder = load_encoder(f"headed:{tmp_path / 'encoder.json'}")
    backbone = SentenceTransformerEncoder(tiny_sentence_transformer)
    np.testing.assert_allclose(encoder.encode(TEXTS), apply_adapter(head(), backbone.encode(TEXTS)), atol=1e-6)
    assert (encoder.kind, encoder.modality, encoder.dimension) == ("headed", "text", 8)
    assert encoder.preprocessing["backbone"]["fingerprint"] == backbone.fingerprint


def test_the_fingerprint_follows_the_head(tmp_path, tiny_sentence_transformer):
    save_adapter(head(), tmp_path / "head.pt")
    write_description(tmp_path, f"sentence-transformers:{tiny_sentence_transformer}")
    first = load_headed(tmp_path).fingerprint
    other = head()
    with torch.no_grad():
        other.net[0].bias.add_(1)
    save_adapter(other, tmp_path / "head.pt")
    assert load_headed(tmp_path).fingerprint != first


def test_a_head_for_other_features_is_one_line(tmp_path, tiny_sentence_transformer):
    save_adapter(head(in_dim=64), tmp_path / "head.pt")
    write_description(tmp_path, f"sentence-transformers:{tiny_sentence_transformer}")
    with pytest.raises(UserInputError, match="the head takes 64-d features, the backbone gives 32-d"):
        load_headed(tmp_path)


def test_a_description_that_is_not_one_is_one_line(tmp_path):
    (tmp_path / "encoder.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(UserInputError, match="not a headed encoder description") as error:
        load_headed(tmp_path / "encoder.json")
    assert "\n" not in str(error.value)
