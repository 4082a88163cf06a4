import torch

from upgradeflow.methods.gradient_projection import project_conflicting


def test_conflicting_gradients_lose_their_opposing_part():
    a, b = torch.tensor([1.0, 0.0]), torch.tensor([-1.0, 1.0])
    total, projections = project_conflicting([a, b])
    assert projections == 2
    # a projected off b: a - (a.b/|b|^2) b = [0.5, 0.5]; b projected off a: [0, 1].
    torch.testing.assert_close(total, torch.tensor([0.5, 1.5]))
    assert torch.dot(total, a) > 0 and torch.dot(total, b) > 0


def test_agreeing_gradients_are_summed_unchanged():
    a, b = torch.tensor([1.0, 2.0]), torch.tensor([0.5, 0.1])
    total, projections = project_conflicting([a, b])
    torch.testing.assert_close(total, a + b)
    assert projections == 0
