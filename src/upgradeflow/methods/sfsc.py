"""Training a family of switchable sub-models in one run (SFSC, Wu et al., CVPR 2023).

Every step runs each width on the same batch through one shared classifier. The
sub-models' losses conflict in magnitude (narrow widths have larger losses) and in
direction (their gradients on the shared weights can point apart); SFSC handles the
first with learned uncertainty weights, L = Σ_k exp(-s_k) L_k + s_k (available, off by
default: ``SFSCConfig``), and the second by
projecting conflicting gradients, one shared parameter tensor at a time: over all shared
weights flattened into one vector the widths' gradients never conflicted (glyph
benchmark, full mode), because agreement in most layers outvotes a conflict in one, so
a global projection changed nothing. Ours, beyond the paper: in-place distillation (as in
universally slimmable networks), a cosine pull of each narrower width's embedding towards
the full width's embedding of the same image, since a shared classifier alone leaves a
narrow query short of the wide gallery's exact positions. Each piece can be switched off
for ablation.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from upgradeflow.errors import UserInputError
from upgradeflow.methods.gradient_projection import project_conflicting
from upgradeflow.methods.selective import new_to_old_contrastive
from upgradeflow.models.cosine_classifier import CosineClassifier
from upgradeflow.models.inference import resolve_device
from upgradeflow.models.switchable import DEFAULT_WIDTHS, SwitchableEmbeddingModel, check_head_layout, check_widths
from upgradeflow.training.loop import (
    BatchStream,
    ExtraLoss,
    StepOutputs,
    TrainConfig,
    TrainResult,
    autocast,
    optimiser_and_schedule,
    progress_bar,
)


@dataclass(frozen=True)
class SFSCConfig:
    widths: tuple[float, ...] = DEFAULT_WIDTHS
    # Off by default: the learned weights train the narrowest width least (its larger
    # loss earns it the largest s_k), which costs that width's compatibility (measured in
    # benchmarks/RESULTS.md, scenario default, SFSC).
    uncertainty_weighting: bool = False
    gradient_projection: bool = True
    distillation: float = 1.0  # weight of the pull towards the full width; 0 switches it off
    # Weight of an InfoNCE term per narrower width: its embedding must pick the full
    # width's embedding of the same image out of the batch's other identities, which is
    # the retrieval a narrow query against a wide gallery performs; 0 switches it off.
    cross_width_contrastive: float = 0.0
    contrastive_temperature: float = 0.05
    private_heads: bool = False  # a head per narrower width instead of slices of one
    # Every width keeps the last layer's full channels, which makes the narrowest width
    # compatible with every wider gallery at no cost to the full width
    # (benchmarks/RESULTS.md, scenario default, SFSC).
    full_width_output: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "widths", check_widths(self.widths))
        if min(self.distillation, self.cross_width_contrastive) < 0:
            raise UserInputError("distillation and cross-width contrastive weights must not be negative")
        if self.contrastive_temperature <= 0:
            raise UserInputError("contrastive temperature must be positive")
        check_head_layout(self.private_heads, self.full_width_output)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SwitchableResult(TrainResult):
    log_variances: list[float] | None = None  # the learned s_k, one per width, when uncertainty weighting is on
    projected_steps: float | None = None  # share of steps where gradient projection changed the update


def _flat_one(gradient: Tensor | None, parameter: nn.Parameter) -> Tensor:
    """A parameter's gradient as a vector; zeros where a width never used the parameter."""
    return (gradient if gradient is not None else torch.zeros_like(parameter)).reshape(-1)


def _flat(gradients: list[Tensor | None], parameters: list[nn.Parameter]) -> Tensor:
    return torch.cat([_flat_one(g, p) for g, p in zip(gradients, parameters, strict=True)])


def project_per_parameter(
    per_width: list[list[Tensor | None]], parameters: list[nn.Parameter], generator: torch.Generator
) -> int:
    """Set each shared parameter's gradient to the sum of the widths' gradients on it,
    projected off each other where they conflict; returns the number of projections."""
    projections = 0
    for i, parameter in enumerate(parameters):
        gradients = [_flat_one(width[i], parameter) for width in per_width]
        total, made = project_conflicting(gradients, generator)
        parameter.grad = total.view_as(parameter)
        projections += made
    return projections


def _towards_full_width(embeddings: Tensor, teacher: Tensor, targets: Tensor, sfsc: SFSCConfig) -> Tensor:
    loss = embeddings.new_zeros(())
    if sfsc.distillation > 0:
        loss = loss + sfsc.distillation * (1 - F.cosine_similarity(embeddings, teacher, dim=1).mean())
    if sfsc.cross_width_contrastive > 0:
        picked = new_to_old_contrastive(embeddings, teacher, targets, sfsc.contrastive_temperature)
        loss = loss + sfsc.cross_width_contrastive * picked.mean()
    return loss


def _unflatten_into(vector: Tensor, parameters: list[nn.Parameter]) -> None:
    offset = 0
    for p in parameters:
        p.grad = vector[offset : offset + p.numel()].view_as(p).clone()
        offset += p.numel()


def train_switchable(
    model: SwitchableEmbeddingModel,
    images: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    config: TrainConfig,
    sfsc: SFSCConfig,
    extra_loss: ExtraLoss | None = None,
    desc: str = "switchable training",
    progress: bool = True,
) -> SwitchableResult:
    """Train every width of ``model`` with one shared cosine classifier."""
    torch.manual_seed(config.seed)
    device = resolve_device(config.device)
    model = model.to(device).train()
    classifier = CosineClassifier(model.config.embedding_dim, num_classes, config.scale).to(device)
    log_variances = nn.Parameter(torch.zeros(len(sfsc.widths), device=device))
    shared = [*model.shared_parameters(), classifier.weight]
    shared_ids = {id(p) for p in shared}
    private = [p for p in model.parameters() if id(p) not in shared_ids]
    if sfsc.uncertainty_weighting:
        private.append(log_variances)
    stream = BatchStream(images, labels, config, device)
    optimizer, schedule = optimiser_and_schedule(shared + private, config, len(stream))
    projection_generator = torch.Generator().manual_seed(config.seed + 2)
    started = time.perf_counter()
    loss_value = float("nan")
    projected_steps = 0
    with progress_bar(len(stream), desc, progress) as bar:
        for epoch, batch in stream:
            optimizer.zero_grad(set_to_none=True)
            shared_gradients: list[list[Tensor | None]] = []
            private_gradient = torch.zeros(sum(p.numel() for p in private), device=device)
            total = 0.0
            teacher: Tensor | None = None
            for k in range(len(sfsc.widths)):
                model.active = k
                with autocast(device):
                    embeddings = model(batch.images)
                    loss = F.cross_entropy(classifier(embeddings), batch.targets)
                    if extra_loss is not None:
                        loss = loss + extra_loss(StepOutputs(batch, embeddings, classifier))
                    if k == 0:  # the full width teaches the narrower ones
                        teacher = embeddings.detach().float()
                    else:
                        loss = loss + _towards_full_width(embeddings.float(), teacher, batch.targets, sfsc)
                if sfsc.uncertainty_weighting:
                    loss = torch.exp(-log_variances[k]) * loss + log_variances[k]
                total += float(loss.detach())
                if sfsc.gradient_projection:
                    gradients = torch.autograd.grad(loss, shared + private, allow_unused=True)
                    shared_gradients.append(list(gradients[: len(shared)]))
                    private_gradient += _flat(list(gradients[len(shared) :]), private)
                else:
                    loss.backward()
            if sfsc.gradient_projection:
                projected_steps += project_per_parameter(shared_gradients, shared, projection_generator) > 0
                _unflatten_into(private_gradient, private)
            optimizer.step()
            schedule.step()
            loss_value = total
            bar.set_postfix(epoch=epoch + 1, loss=f"{loss_value:.3f}", refresh=False)
            bar.update()
    model.active = 0
    model.eval()
    return SwitchableResult(
        model,
        classifier.eval(),
        time.perf_counter() - started,
        loss_value,
        extra_loss,
        [round(float(s), 4) for s in log_variances.detach().cpu()] if sfsc.uncertainty_weighting else None,
        round(projected_steps / len(stream), 4) if sfsc.gradient_projection else None,
    )
