"""Compatible heads on a frozen pretrained backbone: the field's recipe for upgrading to a
foundation model.

The new model is the pretrained backbone, kept as it is, plus a small head from its
features to the served space; only the head is trained, on the backbone's cached
features, against the frozen old encoder's embeddings of the same items. Every method
of the built-in CNN applies unchanged to the head (independent, BCT's influence loss,
DMU's weighting and joint forward adapter), plus λ-orthogonality (Ricci et al., NeurIPS
2025): an affine head held near orthogonal, so the backbone's own geometry survives
while the influence loss pulls it onto the old space.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from upgradeflow.errors import UserInputError
from upgradeflow.methods.bct import influence_term, old_classifier_rows
from upgradeflow.methods.dmu import DMULoss, sample_weights
from upgradeflow.methods.registry import Method
from upgradeflow.methods.trainers import PostHocAdapter, refined_joint_adapter
from upgradeflow.models.adapter import AdapterConfig, MLPAdapter, apply_adapter
from upgradeflow.training.labels import LabelIndex
from upgradeflow.training.loop import ExtraLoss, FunctionLoss, StepOutputs, TrainConfig, as_features, train_embedding

HEAD_KINDS = ("independent", "bct", "dmu", "lambda-orthogonal")
POST_HOC = PostHocAdapter()
# λ per dimension of the Gram matrix, the convention (and the value) of the closed-form
# λ-orthogonal adapter in upgradeflow.adapters.closed_form.
ORTHOGONALITY_WEIGHT = 0.1


@dataclass(frozen=True)
class HeadConfig:
    hidden_dim: int = 512
    depth: int = 2  # linear layers of an MLP head; the λ-orthogonal head is always affine (1)
    orthogonality: float = ORTHOGONALITY_WEIGHT  # λ of the λ-orthogonal head, per Gram dimension


@dataclass
class TrainedHead:
    head: MLPAdapter  # backbone features to the served space, unit-normalised
    adapter: MLPAdapter  # ψ: old embeddings to the served space
    adapter_source: str  # "joint, refined" (DMU) or "post-hoc"
    adapter_distance: float
    seconds: float  # head training and its ψ
    train_embeddings: np.ndarray  # the head's output on the training rows
    details: dict = field(default_factory=dict)


def orthogonality_penalty(weight: Tensor) -> Tensor:
    """‖G - I‖² / len(G), G the smaller Gram matrix of ``weight``: per dimension, as the
    closed-form λ-orthogonal map measures it, so one λ means the same at any size."""
    gram = weight @ weight.T if weight.shape[0] <= weight.shape[1] else weight.T @ weight
    return (gram - torch.eye(len(gram), device=weight.device)).pow(2).sum() / len(gram)


def _lambda_orthogonal_term(head: MLPAdapter, rows: Tensor, scale: float, weight: float) -> ExtraLoss:
    influence = influence_term(rows, scale)
    linear = head.net[0]

    def loss(step: StepOutputs) -> Tensor:
        return influence(step) + weight * orthogonality_penalty(linear.weight)

    return FunctionLoss(loss)


def new_head(kind: str, features_dim: int, served_dim: int, config: HeadConfig) -> MLPAdapter:
    """The head to train; the λ-orthogonal one is affine and starts orthogonal (feasible)."""
    if kind == "lambda-orthogonal":
        head = MLPAdapter(AdapterConfig(features_dim, served_dim, served_dim, depth=1))
        torch.nn.init.orthogonal_(head.net[0].weight)
        torch.nn.init.zeros_(head.net[0].bias)
        return head
    return MLPAdapter(AdapterConfig(features_dim, config.hidden_dim, served_dim, config.depth, residual=True))


def train_head(
    method: Method,
    new_features: np.ndarray,
    old_embeddings: np.ndarray,
    identities: np.ndarray,
    config: TrainConfig,
    head_config: HeadConfig = HeadConfig(),
    progress: bool = True,
    desc: str = "head",
    post_hoc: PostHocAdapter = POST_HOC,
) -> TrainedHead:
    """A head from ``new_features`` (the backbone's, cached) to the old embeddings' space,
    trained by ``method`` with the old encoder's ``old_embeddings`` of the same rows."""
    if method.kind not in HEAD_KINDS:
        raise UserInputError(f"method {method.name} cannot train a head (choose a kind of: {', '.join(HEAD_KINDS)})")
    if not len(new_features) == len(old_embeddings) == len(identities):
        raise UserInputError("backbone features, old embeddings and identities must be paired row by row")
    torch.manual_seed(config.seed)
    labels = LabelIndex(identities)
    served = old_embeddings.shape[1]
    head = new_head(method.kind, new_features.shape[1], served, head_config)
    no_classes = np.array([], dtype=np.int64)
    rows = old_classifier_rows(torch.empty(0, served), no_classes, labels.identities, old_embeddings, identities)
    extra: ExtraLoss | None = None
    details: dict = {}
    if method.kind == "bct":
        extra = influence_term(rows, config.scale, method.bct_lambda)
    elif method.kind == "lambda-orthogonal":
        extra = _lambda_orthogonal_term(head, rows, config.scale, head_config.orthogonality)
    elif method.kind == "dmu":
        weights = sample_weights(old_embeddings, identities, method.dmu)
        table = torch.from_numpy(np.ascontiguousarray(old_embeddings, dtype=np.float32))
        extra = DMULoss(method.dmu, None, rows, weights, served, config.scale, old_table=table)
    started = time.perf_counter()  # what the benchmark reports: training and ψ, not set-up
    features = np.ascontiguousarray(new_features, dtype=np.float32)
    result = train_embedding(
        head, features, labels.encode(identities), len(labels), config, extra, desc, progress, as_features
    )
    head = result.model.cpu().eval()
    embeddings = apply_adapter(head, features)
    if method.kind == "lambda-orthogonal":
        details["orthogonality_excess"] = round(float(orthogonality_penalty(head.net[0].weight.detach())), 4)
    if isinstance(extra, DMULoss) and extra.adapter is not None:
        adapter, distance = refined_joint_adapter(extra, old_embeddings, embeddings, config.seed)
        source = "joint, refined" if method.dmu.adapter_refine_epochs else "joint"
    else:
        adapter, distance = post_hoc.fit(old_embeddings, embeddings, config.seed)
        source = "post-hoc"
    seconds = time.perf_counter() - started
    return TrainedHead(head, adapter, source, distance, seconds, embeddings, details)
