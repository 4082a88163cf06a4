"""Training one method against a frozen old model: the new model (or the family of
widths), and the forward adapter that evolves the old gallery for it. The benchmark and
the pipeline's training step both train through here.

Methods without a jointly trained adapter (independent, BCT, SFSC) get a post-hoc one
fitted on the training images' embeddings, so every method has a new/evolved row and
DMU's joint adapter is compared with the best the others could do afterwards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from upgradeflow.data.image_set import ImageSet
from upgradeflow.errors import UserInputError
from upgradeflow.methods.bct import influence_term, old_classifier_rows
from upgradeflow.methods.dmu import DMULoss, sample_weights
from upgradeflow.methods.forward_adapter import fit_forward_adapter, mean_distance
from upgradeflow.methods.registry import Method
from upgradeflow.methods.sfsc import train_switchable
from upgradeflow.models.adapter import AdapterConfig, MLPAdapter, apply_adapter
from upgradeflow.models.config import ModelConfig
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.models.inference import embed_images
from upgradeflow.models.switchable import SwitchableEmbeddingModel
from upgradeflow.training.labels import LabelIndex
from upgradeflow.training.loop import TrainConfig, TrainResult, train_embedding


@dataclass
class OldModel:
    """The frozen old model with what the compatibility losses need from it."""

    model: EmbeddingModel
    rows: torch.Tensor  # the frozen old classifier over the new model's training identities
    classes: np.ndarray  # identities it was trained on (empty when that is not known)
    train_features: np.ndarray  # its embeddings of the new model's training images


@dataclass(frozen=True)
class PostHocAdapter:
    """How methods without a joint adapter fit theirs."""

    hidden: int = 256
    depth: int = 2
    epochs: int = 30

    def fit(self, old: np.ndarray, new: np.ndarray, seed: int) -> tuple[MLPAdapter, float]:
        """ψ fitted on paired (old, new) rows, and its mean cosine distance."""
        config = AdapterConfig(old.shape[1], self.hidden, new.shape[1], self.depth, residual=True)
        return fit_forward_adapter(old, new, config, epochs=self.epochs, seed=seed)


@dataclass
class TrainedMethod:
    model: EmbeddingModel  # the new model (SFSC: its full width)
    adapter: MLPAdapter
    adapter_source: str  # "joint" or "post-hoc"
    adapter_distance: float  # mean cosine distance of ψ(old) to new on the training images
    seconds: float
    train_features: np.ndarray  # the new model's embeddings of its training images
    widths: dict[float, EmbeddingModel] = field(default_factory=dict)  # SFSC: every width, full first
    details: dict = field(default_factory=dict)


def train_old_model(
    model_config: ModelConfig, images: ImageSet, config: TrainConfig, desc: str, progress: bool
) -> TrainResult:
    """The old model: trained alone on its own identities."""
    torch.manual_seed(config.seed)
    labels = LabelIndex(images.identities)
    return train_embedding(
        EmbeddingModel(model_config),
        images.images,
        labels.encode(images.identities),
        len(labels),
        config,
        desc=desc,
        progress=progress,
    )


def old_model_for(result: TrainResult, old_train: ImageSet, train: ImageSet) -> OldModel:
    """An old model whose trained classifier is at hand: its rows serve the identities it saw."""
    features = embed_images(result.model, train.images)
    classes = LabelIndex(old_train.identities).identities
    rows = old_classifier_rows(
        result.classifier.weight, classes, LabelIndex(train.identities).identities, features, train.identities
    )
    return OldModel(result.model, rows, classes, features)


def registered_old_model(model: EmbeddingModel, train: ImageSet) -> OldModel:
    """An old model known only as an embedding model (a registered one deploys no
    classifier): every identity's row is the class mean of its old embeddings."""
    features = embed_images(model, train.images)
    no_classes = np.array([], dtype=np.int64)
    identities = LabelIndex(train.identities).identities
    rows = old_classifier_rows(torch.empty(0, features.shape[1]), no_classes, identities, features, train.identities)
    return OldModel(model, rows, no_classes, features)


def weight_summary(weights: np.ndarray, identities: np.ndarray, old_classes: np.ndarray) -> dict:
    """Weight distribution for identities the old model trained on and for the others:
    selective compatibility is only sound if the first are weighted higher."""
    seen = np.isin(identities, old_classes)
    return {
        "seen_mean": round(float(weights[seen].mean()), 3) if seen.any() else None,
        "unseen_mean": round(float(weights[~seen].mean()), 3) if (~seen).any() else None,
        "quantiles": [round(float(q), 3) for q in np.quantile(weights, [0.1, 0.25, 0.5, 0.75, 0.9])],
    }


def _train_new(
    method: Method,
    model_config: ModelConfig,
    train: ImageSet,
    old: OldModel,
    config: TrainConfig,
    desc: str,
    progress: bool,
) -> tuple[TrainResult, dict[float, EmbeddingModel], dict]:
    """The new model (SFSC: its full width), every width, and what the run reports.

    Seeded first: the model's and the adapter's initial weights come from torch's global
    generator, so without it a run would depend on whatever drew from it earlier."""
    if method.kind == "lambda-orthogonal":
        raise UserInputError(f"{method.name} trains a head on a pretrained backbone, not the built-in CNN")
    torch.manual_seed(config.seed)
    labels = LabelIndex(train.identities)
    targets = labels.encode(train.identities)
    if method.kind == "sfsc":
        family = SwitchableEmbeddingModel(
            model_config, method.sfsc.widths, method.sfsc.private_heads, method.sfsc.full_width_output
        )
        extra = influence_term(old.rows, config.scale)
        result = train_switchable(
            family, train.images, targets, len(labels), config, method.sfsc, extra, desc, progress
        )
        widths = {w: family.sub_model(i) for i, w in enumerate(method.sfsc.widths)}
        result.model = widths[method.sfsc.widths[0]]
        return result, widths, {"log_variances": result.log_variances, "projected_steps": result.projected_steps}
    extra, details = None, {}
    if method.kind == "bct":
        extra = influence_term(old.rows, config.scale, method.bct_lambda)
    elif method.kind == "dmu":
        weights = sample_weights(old.train_features, train.identities, method.dmu)
        details["weights"] = weight_summary(weights, train.identities, old.classes)
        extra = DMULoss(method.dmu, old.model, old.rows, weights, model_config.embedding_dim, config.scale)
    result = train_embedding(
        EmbeddingModel(model_config), train.images, targets, len(labels), config, extra, desc, progress
    )
    return result, {}, details


def train_method(
    method: Method,
    model_config: ModelConfig,
    train: ImageSet,
    old: OldModel,
    config: TrainConfig,
    progress: bool,
    desc: str,
    post_hoc: PostHocAdapter = PostHocAdapter(),
) -> TrainedMethod:
    started = time.perf_counter()
    new, widths, details = _train_new(method, model_config, train, old, config, desc, progress)
    seconds = time.perf_counter() - started
    new_features = embed_images(new.model, train.images)
    if isinstance(new.extra, DMULoss) and new.extra.adapter is not None:
        started = time.perf_counter()  # the refinement counts towards DMU's training time
        adapter, distance = refined_joint_adapter(new.extra, old.train_features, new_features, config.seed)
        seconds += time.perf_counter() - started
        source = "joint, refined" if new.extra.config.adapter_refine_epochs else "joint"
        return TrainedMethod(new.model, adapter, source, distance, seconds, new_features, widths, details)
    adapter, distance = post_hoc.fit(old.train_features, new_features, config.seed)
    return TrainedMethod(new.model, adapter, "post-hoc", distance, seconds, new_features, widths, details)


def refined_joint_adapter(
    loss: DMULoss, old_features: np.ndarray, new_features: np.ndarray, seed: int
) -> tuple[MLPAdapter, float]:
    """DMU's ψ, trained ``adapter_refine_epochs`` more on the finished new model's
    embeddings with the same (2 - w) emphasis, and its mean cosine distance."""
    adapter = loss.adapter.cpu().eval()
    epochs = loss.config.adapter_refine_epochs
    if epochs == 0:
        return adapter, mean_distance(adapter, old_features, new_features)
    weights = 2 - loss.weights.numpy()
    return fit_forward_adapter(
        old_features, new_features, adapter.config, epochs=epochs, seed=seed, initial=adapter, row_weights=weights
    )


def gallery_fitted_adapter(
    old_gallery: np.ndarray, new_gallery: np.ndarray, seed: int, post_hoc: PostHocAdapter = PostHocAdapter()
) -> MLPAdapter:
    """A diagnostic, never a method: ψ fitted on the evaluated gallery's own (old, new)
    pairs, so it has seen the very items it evolves. What it reaches bounds what any
    adapter of the same size, fitted elsewhere, could reach from those old features."""
    return post_hoc.fit(old_gallery, new_gallery, seed)[0]


def evolve(adapter: MLPAdapter, old_embeddings: np.ndarray) -> np.ndarray:
    return apply_adapter(adapter.cpu(), old_embeddings)
