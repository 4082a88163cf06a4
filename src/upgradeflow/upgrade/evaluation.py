"""The evaluate step: the cross-model matrix of a challenger on held-out identities,
with the evolved gallery (ψ applied to old gallery embeddings) and the champion's own
retrieval as the bar it is compared with."""

from __future__ import annotations

from upgradeflow.data.image_set import ImageSet
from upgradeflow.evaluation.matrix import evaluate_pairs, flip_rates, is_compatible
from upgradeflow.evaluation.metrics import retrieval_metrics
from upgradeflow.models.adapter import MLPAdapter, apply_adapter
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.models.inference import embed_images
from upgradeflow.upgrade.spec import UpgradeSpec
from upgradeflow.upgrade.training import upgrade_split

PAIRS = ["old/old", "new/old", "new/evolved", "new/new"]


def evaluate_upgrade(
    data: ImageSet,
    spec: UpgradeSpec,
    old_model: EmbeddingModel,
    new_model: EmbeddingModel,
    adapter: MLPAdapter,
    champion_model: EmbeddingModel | None = None,
) -> dict:
    """The result document (the benchmark's JSON format) plus the champion's bar.

    ``champion_model`` None means the old model is the champion (the usual upgrade).
    """
    split = upgrade_split(data, spec)
    queries, gallery = split.queries, split.gallery
    query_emb = {"old": embed_images(old_model, queries.images), "new": embed_images(new_model, queries.images)}
    gallery_emb = {"old": embed_images(old_model, gallery.images), "new": embed_images(new_model, gallery.images)}
    gallery_emb["evolved"] = apply_adapter(adapter, gallery_emb["old"])
    matrix, correct = evaluate_pairs(query_emb, gallery_emb, queries.identities, gallery.identities, PAIRS)
    if champion_model is None:
        champion = matrix["old/old"]
    else:
        champion = retrieval_metrics(
            embed_images(champion_model, queries.images),
            queries.identities,
            embed_images(champion_model, gallery.images),
            gallery.identities,
        ).to_dict()
    challenger = {
        "matrix": matrix,
        "compatible": is_compatible(matrix),
        "negative_flip_rate": {k: round(v, 3) for k, v in flip_rates(correct).items()},
    }
    return {
        "dataset": spec.dataset,
        "scenario": spec.scenario,
        "quick": spec.quick,
        "config": spec.to_dict(),
        "methods": {spec.method: challenger},
        "challenger": challenger,
        "champion": champion,
        "queries": len(queries),
        "gallery": len(gallery),
    }
