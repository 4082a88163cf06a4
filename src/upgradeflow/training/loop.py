"""The one training loop: cosine-softmax classification plus optional extra loss terms.

Every method (old, independent, BCT, and later DMU) is this loop with different models
and extra terms, so their differences are only what the methods define.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from tqdm import tqdm

from upgradeflow.models.cosine_classifier import CosineClassifier
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.training.augment import random_affine

ExtraLoss = Callable[[Tensor, Tensor], Tensor]


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    batch_size: int = 256
    learning_rate: float = 3e-3
    weight_decay: float = 5e-4
    scale: float = 16.0
    augment: bool = True
    seed: int = 0
    device: str = "cpu"


@dataclass
class TrainResult:
    model: EmbeddingModel
    classifier: CosineClassifier
    seconds: float
    final_loss: float


def to_input(images: np.ndarray | Tensor, device: str) -> Tensor:
    """uint8 [N, H, W] to float [N, 1, H, W] in [0, 1]."""
    tensor = torch.as_tensor(images).to(device)
    return tensor.unsqueeze(1).float().div_(255.0)


def train_embedding(
    model: EmbeddingModel,
    images: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    config: TrainConfig,
    extra_loss: ExtraLoss | None = None,
    desc: str = "training",
    progress: bool = True,
) -> TrainResult:
    """Train ``model`` with a fresh cosine classifier over ``num_classes``."""
    generator = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)
    model = model.to(config.device).train()
    classifier = CosineClassifier(model.config.embedding_dim, num_classes, config.scale).to(config.device)
    parameters = list(model.parameters()) + list(classifier.parameters())
    optimizer = torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)
    steps_per_epoch = max(1, len(images) // config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=config.learning_rate,
        total_steps=config.epochs * steps_per_epoch,
        pct_start=0.15,
    )
    images_t = torch.as_tensor(images)
    labels_t = torch.as_tensor(labels, dtype=torch.int64)
    started = time.perf_counter()
    loss_value = float("nan")
    with tqdm(
        total=config.epochs * steps_per_epoch,
        desc=desc,
        unit="batch",
        disable=not progress,
        mininterval=2,
    ) as bar:
        for epoch in range(config.epochs):
            order = torch.randperm(len(images), generator=generator)
            for step in range(steps_per_epoch):
                rows = order[step * config.batch_size : (step + 1) * config.batch_size]
                batch = to_input(images_t[rows], config.device)
                if config.augment:
                    batch = random_affine(batch, generator)
                target = labels_t[rows].to(config.device)
                embeddings = model(batch)
                loss = F.cross_entropy(classifier(embeddings), target)
                if extra_loss is not None:
                    loss = loss + extra_loss(embeddings, target)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                loss_value = float(loss.detach())
                bar.set_postfix(epoch=epoch + 1, loss=f"{loss_value:.3f}", refresh=False)
                bar.update()
    model.eval()
    return TrainResult(model, classifier.eval(), time.perf_counter() - started, loss_value)


@torch.no_grad()
def embed_images(model: EmbeddingModel, images: np.ndarray, batch_size: int = 1024, device: str = "cpu") -> np.ndarray:
    model = model.to(device).eval()
    out = [model(to_input(images[i : i + batch_size], device)).cpu() for i in range(0, len(images), batch_size)]
    return torch.cat(out).numpy().astype(np.float32)
