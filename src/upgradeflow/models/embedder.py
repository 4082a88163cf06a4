"""The embedding model: backbone, linear head, L2 normalisation."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from upgradeflow.models.backbone import ConvBackbone
from upgradeflow.models.config import ModelConfig


class EmbeddingModel(nn.Module):
    """Maps images (uint8-range floats scaled to [0, 1]) to unit-norm embeddings."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.backbone = ConvBackbone(config)
        self.head = nn.Linear(self.backbone.out_channels, config.embedding_dim)

    def forward(self, images: Tensor) -> Tensor:
        return F.normalize(self.head(self.backbone(images)), dim=1)
