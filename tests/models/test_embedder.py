"""The embedding model: unit-norm embeddings whose size and weights follow its config
and torch's seed, nothing else."""

import torch

from upgradeflow.models.config import NEW_MODEL, OLD_MODEL
from upgradeflow.models.embedder import EmbeddingModel


def test_embeddings_are_unit_norm_and_sizes_differ():
    torch.manual_seed(0)
    old, new = EmbeddingModel(OLD_MODEL).eval(), EmbeddingModel(NEW_MODEL).eval()
    x = torch.rand(8, 1, 32, 32)
    for model in (old, new):
        out = model(x)
        assert out.shape == (8, 128)
        torch.testing.assert_close(out.norm(dim=1), torch.ones(8))
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(new) > 3 * count(old)


def test_seeding_is_deterministic():
    torch.manual_seed(5)
    a = EmbeddingModel(OLD_MODEL).state_dict()
    torch.manual_seed(5)
    b = EmbeddingModel(OLD_MODEL).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
