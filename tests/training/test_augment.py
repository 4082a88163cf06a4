"""Batch augmentation: small random warps drawn from the run's own generator, so a
seeded run sees the same images every time."""

import torch

from upgradeflow.training.augment import random_affine


def images() -> torch.Tensor:
    torch.manual_seed(0)
    return torch.rand(6, 1, 16, 16)


def test_no_warp_leaves_the_images_as_they_are():
    batch = images()
    same = random_affine(batch, torch.Generator().manual_seed(0), scale=0.0, shift=0.0, degrees=0.0)
    torch.testing.assert_close(same, batch, atol=1e-5, rtol=0)


def test_warps_follow_the_generator_and_differ_per_image():
    batch = images()
    first = random_affine(batch, torch.Generator().manual_seed(1))
    torch.testing.assert_close(random_affine(batch, torch.Generator().manual_seed(1)), first)
    assert not torch.allclose(random_affine(batch, torch.Generator().manual_seed(2)), first)
    repeated = random_affine(batch[:1].expand(6, -1, -1, -1), torch.Generator().manual_seed(1))
    assert not torch.allclose(repeated[0], repeated[1])  # each image draws its own warp
    assert first.shape == batch.shape
