"""Cosine-softmax classifier: logits are scaled cosines between embeddings and class rows.

Training with it puts identities at angles on the sphere, which is what inner-product
search over unit vectors later measures.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class CosineClassifier(nn.Module):
    def __init__(self, embedding_dim: int, num_classes: int, scale: float = 16.0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(num_classes, embedding_dim) * 0.01)
        self.scale = scale

    def forward(self, embeddings: Tensor) -> Tensor:
        return cosine_logits(embeddings, self.weight, self.scale)


def cosine_logits(embeddings: Tensor, rows: Tensor, scale: float) -> Tensor:
    return scale * F.linear(F.normalize(embeddings, dim=1), F.normalize(rows, dim=1))
