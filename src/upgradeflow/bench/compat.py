"""``upgradeflow bench compat``: old, independent and BCT models on one dataset and
scenario, over seeds, with the cross-model matrix of each."""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass, replace
from pathlib import Path

import faiss
import numpy as np
import torch

from upgradeflow.atomic import write_text_atomic
from upgradeflow.bench.embedding_export import write_embedding_table
from upgradeflow.bench.scenarios import Scenario
from upgradeflow.compat.bct import influence_loss, old_classifier_rows
from upgradeflow.data.image_set import ImageSet
from upgradeflow.errors import UserInputError
from upgradeflow.evaluation.matrix import evaluate_pairs, flip_rates, is_compatible
from upgradeflow.evaluation.plot import plot_tradeoff
from upgradeflow.evaluation.summary import markdown_table, mean_and_std
from upgradeflow.models.checkpoint import save_model
from upgradeflow.models.embedder import EmbeddingModel
from upgradeflow.training.labels import LabelIndex
from upgradeflow.training.loop import TrainConfig, TrainResult, embed_images, train_embedding

METHODS = ("old", "independent", "bct")
NEW_METHODS = ("independent", "bct")


def parse_methods(text: str) -> list[str]:
    methods = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise UserInputError(f"unknown method(s) {unknown or [text]} (choose from: {', '.join(METHODS)})")
    return methods


@dataclass(frozen=True)
class BenchSplit:
    """The identities and images one seed trains and evaluates on."""

    train: ImageSet
    old_train: ImageSet
    queries: ImageSet
    gallery: ImageSet


def make_split(data: ImageSet, scenario: Scenario, seed: int) -> BenchSplit:
    rng = np.random.default_rng(seed)
    train_ids = np.unique(data.identities[data.split == "train"])
    test_ids = np.unique(data.identities[data.split == "test"])
    if len(train_ids) == 0 or len(test_ids) == 0:
        raise UserInputError("dataset needs both training and held-out (test) identities")
    if scenario.max_train_identities and len(train_ids) > scenario.max_train_identities:
        train_ids = np.sort(rng.choice(train_ids, scenario.max_train_identities, replace=False))
    if scenario.max_test_identities and len(test_ids) > scenario.max_test_identities:
        test_ids = np.sort(rng.choice(test_ids, scenario.max_test_identities, replace=False))
    old_ids = np.sort(rng.choice(train_ids, max(2, round(scenario.old_fraction * len(train_ids))), replace=False))
    test = data.with_identities(test_ids)
    return BenchSplit(
        train=data.with_identities(train_ids),
        old_train=data.with_identities(old_ids),
        queries=test.by_role("query"),
        gallery=test.by_role("gallery"),
    )


def _train(
    model_config,
    images: ImageSet,
    config: TrainConfig,
    desc: str,
    progress: bool,
    extra=None,
    labels=None,
) -> TrainResult:
    labels = labels or LabelIndex(images.identities)
    return train_embedding(
        EmbeddingModel(model_config),
        images.images,
        labels.encode(images.identities),
        len(labels),
        config,
        extra_loss=extra,
        desc=desc,
        progress=progress,
    )


def run_seed(
    data: ImageSet,
    scenario: Scenario,
    methods: list[str],
    seed: int,
    train_config: TrainConfig,
    progress: bool,
    checkpoint_dir: Path | None,
    embedding_dir: Path | None = None,
) -> dict[str, dict]:
    split = make_split(data, scenario, seed)
    base = replace(train_config, seed=seed)
    old = _train(
        scenario.old_model,
        split.old_train,
        replace(base, epochs=scenario.old_epochs),
        f"seed {seed} old",
        progress,
    )
    query_emb = {"old": embed_images(old.model, split.queries.images)}
    gallery_emb = {"old": embed_images(old.model, split.gallery.images)}

    def export(model: str) -> None:
        if embedding_dir is None:
            return
        for role, part, table in (("query", split.queries, query_emb), ("gallery", split.gallery, gallery_emb)):
            key = "old" if model == "old" else "new"
            path = embedding_dir / f"seed{seed}-{model}-{role}.parquet"
            write_embedding_table(path, part.ids, table[key], part.identities, f"{model}-seed{seed}")

    export("old")
    results: dict[str, dict] = {}
    if "old" in methods:
        matrix, _ = evaluate_pairs(
            query_emb, gallery_emb, split.queries.identities, split.gallery.identities, ["old/old"]
        )
        results["old"] = {"matrix": matrix, "train_seconds": round(old.seconds, 1)}

    new_config = replace(base, epochs=scenario.new_epochs)
    labels = LabelIndex(split.train.identities)
    for method in (m for m in methods if m in NEW_METHODS):
        extra = None
        if method == "bct":
            old_classes = LabelIndex(split.old_train.identities).identities
            rows = old_classifier_rows(
                old.classifier.weight,
                old_classes,
                labels.identities,
                embed_images(old.model, split.train.images),
                split.train.identities,
            ).to(new_config.device)

            def extra(embeddings, targets, rows=rows):
                return influence_loss(embeddings, targets, rows, new_config.scale)

        new = _train(
            scenario.new_model,
            split.train,
            new_config,
            f"seed {seed} {method}",
            progress,
            extra,
            labels,
        )
        query_emb["new"] = embed_images(new.model, split.queries.images)
        gallery_emb["new"] = embed_images(new.model, split.gallery.images)
        export(method)
        matrix, correct = evaluate_pairs(
            query_emb,
            gallery_emb,
            split.queries.identities,
            split.gallery.identities,
            ["old/old", "new/old", "new/new"],
        )
        results[method] = {
            "matrix": matrix,
            "compatible": is_compatible(matrix),
            "negative_flip_rate": {k: round(v, 3) for k, v in flip_rates(correct).items()},
            "train_seconds": round(new.seconds, 1),
        }
        if checkpoint_dir is not None:
            save_model(
                new.model,
                checkpoint_dir / f"seed{seed}-{method}",
                {"method": method, "seed": seed, "scenario": scenario.name},
            )
    if checkpoint_dir is not None:
        save_model(
            old.model,
            checkpoint_dir / f"seed{seed}-old",
            {"method": "old", "seed": seed, "scenario": scenario.name},
        )
    return results


def summarise(per_seed: list[dict[str, dict]], seeds: list[int]) -> dict[str, dict]:
    methods: dict[str, dict] = {}
    for name in per_seed[0]:
        runs = [run[name] for run in per_seed]
        mean, std = mean_and_std([r["matrix"] for r in runs])
        entry = {
            "matrix": mean,
            "matrix_std": std,
            "train_seconds": round(float(np.mean([r["train_seconds"] for r in runs])), 1),
        }
        if "compatible" in runs[0]:
            entry["compatible"] = is_compatible(mean)
            entry["compatible_every_seed"] = all(r["compatible"] for r in runs)
            entry["negative_flip_rate"] = {
                pair: round(float(np.mean([r["negative_flip_rate"][pair] for r in runs])), 3)
                for pair in runs[0]["negative_flip_rate"]
            }
        entry["per_seed"] = [{"seed": s, **r} for s, r in zip(seeds, runs, strict=True)]
        methods[name] = entry
    return methods


def new_new_cost(methods: dict[str, dict]) -> dict | None:
    """BCT new/new minus independent new/new (mAP@100), paired by seed."""
    if not {"bct", "independent"} <= methods.keys():
        return None
    diffs = [
        b["matrix"]["new/new"]["map@100"] - i["matrix"]["new/new"]["map@100"]
        for b, i in zip(methods["bct"]["per_seed"], methods["independent"]["per_seed"], strict=True)
    ]
    return {
        "mean": round(float(np.mean(diffs)), 3),
        "std": round(float(np.std(diffs)), 3),
        "per_seed": [round(d, 3) for d in diffs],
    }


def environment(train_config: TrainConfig) -> dict:
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "faiss": faiss.__version__,
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": train_config.device,
        "machine": platform.machine(),
    }


def run_compat_bench(
    data: ImageSet,
    dataset: str,
    scenario: Scenario,
    methods: list[str],
    seeds: list[int],
    quick: bool,
    out: Path,
    train_config: TrainConfig | None = None,
    progress: bool = True,
    save_checkpoints: bool = False,
    save_embeddings: bool = False,
) -> dict:
    """Run every seed, write ``out`` (JSON), ``out.md`` and ``out.png``; return the JSON."""
    train_config = train_config or TrainConfig()
    started = time.perf_counter()
    checkpoint_dir = out.with_suffix("") / "checkpoints" if save_checkpoints else None
    embedding_dir = out.with_suffix("") / "embeddings" if save_embeddings else None
    per_seed = [
        run_seed(data, scenario, methods, s, train_config, progress, checkpoint_dir, embedding_dir) for s in seeds
    ]
    methods_summary = summarise(per_seed, seeds)
    result = {
        "dataset": dataset,
        "scenario": scenario.name,
        "quick": quick,
        "seeds": seeds,
        "config": {"scenario": scenario.to_dict(), "train": train_config.__dict__},
        "methods": methods_summary,
        "bct_new_new_cost": new_new_cost(methods_summary),
        "environment": environment(train_config),
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    write_text_atomic(out, json.dumps(result, indent=2) + "\n")
    write_text_atomic(out.with_suffix(".md"), markdown_table(result))
    plot_tradeoff(result, out.with_suffix(".png"))
    return result
