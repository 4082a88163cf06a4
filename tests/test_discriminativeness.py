import numpy as np
import pytest

from upgradeflow.discriminativeness import old_discriminativeness
from upgradeflow.errors import UserInputError


def clustered(spread: list[float], per_class: int = 8, dim: int = 16, seed: int = 0):
    """One class per entry of ``spread``: unit vectors around a random centre."""
    rng = np.random.default_rng(seed)
    features, classes = [], []
    for label, noise in enumerate(spread):
        centre = rng.standard_normal(dim)
        features.append(centre + noise * rng.standard_normal((per_class, dim)))
        classes += [label] * per_class
    features = np.concatenate(features).astype(np.float32)
    return features / np.linalg.norm(features, axis=1, keepdims=True), np.array(classes)


@pytest.mark.parametrize("weighting", ["posterior", "entropy", "margin"])
def test_tight_classes_weigh_more_than_scattered_ones(weighting):
    features, classes = clustered([0.05, 0.05, 3.0, 3.0])
    weights = old_discriminativeness(features, classes, weighting, temperature=0.1)
    assert weights.shape == (len(features),) and ((weights >= 0) & (weights <= 1)).all()
    assert weights[classes < 2].mean() > weights[classes >= 2].mean() + 0.2


def test_prototypes_leave_the_sample_out():
    # Class 0 holds two orthogonal images. With itself in the prototype each would look
    # as typical as anything (cosine 0.71); without it, its prototype is the other image
    # (cosine 0), and class 2's prototype is closer: its weight drops to about zero.
    features = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1], [0.7, 0.7, 0.1], [0.7, 0.7, 0.1]])
    features = (features / np.linalg.norm(features, axis=1, keepdims=True)).astype(np.float32)
    classes = np.array([0, 0, 1, 1, 2, 2])
    weights = old_discriminativeness(features, classes, "margin", temperature=0.05)
    assert weights[:2].max() < 0.01 and weights[2:4].min() > 0.99


def test_chunking_does_not_change_the_weights():
    features, classes = clustered([0.3, 0.5, 1.0], per_class=20)
    whole = old_discriminativeness(features, classes, "posterior", chunk=10_000)
    np.testing.assert_allclose(old_discriminativeness(features, classes, "posterior", chunk=7), whole, atol=1e-6)


def test_mistakes_are_rejected():
    features, classes = clustered([0.1, 0.1])
    with pytest.raises(UserInputError, match="unknown weighting 'confidence'"):
        old_discriminativeness(features, classes, "confidence")
    with pytest.raises(UserInputError, match="at least two training images"):
        old_discriminativeness(features[:9], classes[:9])
