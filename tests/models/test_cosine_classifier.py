"""The cosine-softmax classifier: logits are scaled cosines, so training places
identities at angles on the sphere, which inner-product search then measures."""

import torch

from upgradeflow.models.cosine_classifier import CosineClassifier, cosine_logits


def test_cosine_classifier_logits_are_bounded_by_scale():
    classifier = CosineClassifier(16, 5, scale=10.0)
    logits = classifier(torch.randn(4, 16))
    assert logits.abs().max() <= 10.0 + 1e-5


def test_logits_ignore_the_length_of_embeddings_and_rows():
    embeddings, rows = torch.randn(3, 8), torch.randn(4, 8)
    logits = cosine_logits(embeddings, rows, scale=16.0)
    torch.testing.assert_close(cosine_logits(5 * embeddings, rows / 3, scale=16.0), logits)
    torch.testing.assert_close(cosine_logits(rows[:1], rows, scale=2.0)[0, 0], torch.tensor(2.0))
