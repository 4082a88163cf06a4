import torch

from upgradeflow.methods.selective import new_to_old_contrastive, weighted_mean


def test_weighted_mean_follows_the_weights():
    values = torch.tensor([1.0, 3.0])
    assert weighted_mean(values, torch.tensor([1.0, 0.0])) == 1.0
    assert weighted_mean(values, torch.tensor([1.0, 1.0])) == 2.0


def test_contrastive_loss_is_low_for_matching_pairs():
    old = torch.nn.functional.normalize(torch.randn(8, 16, generator=torch.Generator().manual_seed(0)), dim=1)
    targets = torch.arange(8)
    matched = new_to_old_contrastive(old.clone(), old, targets)
    shuffled = new_to_old_contrastive(old.roll(1, 0), old, targets)
    assert matched.shape == (8,) and matched.mean() < 0.1 < shuffled.mean()
    # Other images of one's own identity are neither positives nor negatives.
    same = new_to_old_contrastive(old.roll(1, 0), old, torch.zeros(8, dtype=torch.long))
    assert torch.allclose(same, torch.zeros(8), atol=1e-6)
