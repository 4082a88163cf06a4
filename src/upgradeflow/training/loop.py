"""The one training loop: cosine-softmax classification plus optional extra loss terms.

Every method (old, independent, BCT, DMU) is this loop with different models and extra
terms, so their differences are only what the methods define. The switchable
sub-model trainer (SFSC) shares its batches and schedule.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm import tqdm

from upgradeflow.models.cosine_classifier import CosineClassifier
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.models.inference import resolve_device, to_input
from upgradeflow.training.augment import random_affine


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    batch_size: int = 256
    learning_rate: float = 3e-3
    weight_decay: float = 5e-4
    scale: float = 16.0
    augment: bool = True
    seed: int = 0
    device: str = "auto"  # "auto" takes CUDA when present, else the CPU
    loader_workers: int = 4  # DataLoader workers on CUDA; the CPU path slices in memory


@dataclass
class Batch:
    """One training step's inputs: ``rows`` index the training set (for per-sample
    weights), ``images`` are the augmented inputs on the device."""

    rows: Tensor
    images: Tensor
    targets: Tensor


@dataclass
class StepOutputs:
    batch: Batch
    embeddings: Tensor
    classifier: CosineClassifier


class ExtraLoss:
    """A loss term added to classification; ``modules`` are trained with the model."""

    modules: Sequence[nn.Module] = ()

    def __call__(self, step: StepOutputs) -> Tensor:
        raise NotImplementedError


@dataclass
class FunctionLoss(ExtraLoss):
    function: Callable[[StepOutputs], Tensor]
    modules: Sequence[nn.Module] = field(default_factory=tuple)

    def __call__(self, step: StepOutputs) -> Tensor:
        return self.function(step)


@dataclass
class TrainResult:
    model: nn.Module
    classifier: CosineClassifier
    seconds: float
    final_loss: float
    extra: ExtraLoss | None = None


def as_features(features: Tensor, device: str) -> Tensor:
    """Cached backbone features as a head's input: float32 on the device, nothing else."""
    return features.to(device, non_blocking=True).float()


def autocast(device: str) -> contextlib.AbstractContextManager:
    """bfloat16 mixed precision on CUDA (no loss scaling needed); full precision on CPU."""
    if device.startswith("cuda"):
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


class BatchStream:
    """Shuffled, augmented batches for ``epochs`` epochs, reproducible from the seed.

    On CUDA a DataLoader with workers and pinned memory feeds the device; on the CPU
    slicing the in-memory array is faster than any loader.
    """

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        config: TrainConfig,
        device: str,
        prepare: Callable[[Tensor, str], Tensor] = to_input,
    ) -> None:
        self.images = torch.as_tensor(images)
        self.prepare = prepare
        self.labels = torch.as_tensor(labels, dtype=torch.int64)
        self.config = config
        self.device = device
        self.order_generator = torch.Generator().manual_seed(config.seed)
        self.augment_generator = torch.Generator(device=device).manual_seed(config.seed + 1)
        self.steps_per_epoch = max(1, len(images) // config.batch_size)

    def _orders(self) -> Iterator[Tensor]:
        for _ in range(self.config.epochs):
            order = torch.randperm(len(self.images), generator=self.order_generator)
            for step in range(self.steps_per_epoch):
                yield order[step * self.config.batch_size : (step + 1) * self.config.batch_size]

    def _raw(self) -> Iterator[tuple[Tensor, Tensor, Tensor]]:
        if not self.device.startswith("cuda"):
            for rows in self._orders():
                yield rows, self.images[rows], self.labels[rows]
            return
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.arange(len(self.images)), self.images, self.labels),
            batch_sampler=list(self._orders()),
            num_workers=self.config.loader_workers,
            pin_memory=True,
            persistent_workers=False,
        )
        yield from loader

    def __iter__(self) -> Iterator[tuple[int, Batch]]:
        for index, (rows, images, labels) in enumerate(self._raw()):
            batch = self.prepare(images, self.device)
            if self.config.augment:
                batch = random_affine(batch, self.augment_generator)
            yield (
                index // self.steps_per_epoch,
                Batch(rows, batch, labels.to(self.device, non_blocking=True)),
            )

    def __len__(self) -> int:
        return self.config.epochs * self.steps_per_epoch


def optimiser_and_schedule(
    parameters: list[nn.Parameter], config: TrainConfig, total_steps: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    optimizer = torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.learning_rate, total_steps=total_steps, pct_start=0.15
    )
    return optimizer, schedule


def progress_bar(total: int, desc: str, progress: bool) -> tqdm:
    return tqdm(total=total, desc=desc, unit="batch", disable=not progress, mininterval=2)


def train_embedding(
    model: EmbeddingModel,
    images: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    config: TrainConfig,
    extra_loss: ExtraLoss | None = None,
    desc: str = "training",
    progress: bool = True,
    prepare: Callable[[Tensor, str], Tensor] = to_input,
) -> TrainResult:
    """Train ``model`` with a fresh cosine classifier over ``num_classes``. ``images``
    are what ``prepare`` turns into the model's input: glyph pixels by default, or a
    frozen backbone's cached features for a compatible head."""
    torch.manual_seed(config.seed)
    device = resolve_device(config.device)
    model = model.to(device).train()
    classifier = CosineClassifier(model.config.embedding_dim, num_classes, config.scale).to(device)
    extra_modules = [m.to(device).train() for m in (extra_loss.modules if extra_loss else ())]
    parameters = [p for m in (model, classifier, *extra_modules) for p in m.parameters()]
    stream = BatchStream(images, labels, config, device, prepare)
    optimizer, schedule = optimiser_and_schedule(parameters, config, len(stream))
    started = time.perf_counter()
    loss_value = float("nan")
    with progress_bar(len(stream), desc, progress) as bar:
        for epoch, batch in stream:
            with autocast(device):
                embeddings = model(batch.images)
                loss = F.cross_entropy(classifier(embeddings), batch.targets)
                if extra_loss is not None:
                    loss = loss + extra_loss(StepOutputs(batch, embeddings, classifier))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_value = float(loss.detach())
            bar.set_postfix(epoch=epoch + 1, loss=f"{loss_value:.3f}", refresh=False)
            bar.update()
    model.eval()
    for module in extra_modules:
        module.eval()
    return TrainResult(model, classifier.eval(), time.perf_counter() - started, loss_value, extra_loss)
