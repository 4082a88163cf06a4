"""``upgradeflow bench compat``: the old model and any mix of new-model methods (BCT,
DMU, SFSC and their ablations) on one dataset and scenario, over seeds, with the
cross-model matrix of each."""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
import torch

from upgradeflow.atomic import write_text_atomic
from upgradeflow.bench.backfill import PRIMARY, method_backfill, reverse_adapters, summarise_backfill
from upgradeflow.data.image_set import ImageSet
from upgradeflow.data.paired_embeddings import PairedPart, write_pairs
from upgradeflow.embeddings import write_embedding_table
from upgradeflow.evaluation.backfill_plot import plot_backfill
from upgradeflow.evaluation.matrix import criterion, evaluate_pairs, flip_rates, is_compatible
from upgradeflow.evaluation.plot import plot_tradeoff
from upgradeflow.evaluation.summary import markdown_table, mean_and_std
from upgradeflow.methods.registry import Method
from upgradeflow.methods.scenarios import Scenario, ScenarioSplit, make_split
from upgradeflow.methods.trainers import (
    TrainedMethod,
    evolve,
    gallery_fitted_adapter,
    old_model_for,
    train_method,
    train_old_model,
)
from upgradeflow.models.checkpoint import save_model
from upgradeflow.models.inference import embed_images, resolve_device
from upgradeflow.models.switchable import width_tag
from upgradeflow.training.loop import TrainConfig


def width_results(
    trained: TrainedMethod, split: ScenarioSplit, query_emb: dict[str, np.ndarray], gallery_emb: dict[str, np.ndarray]
) -> dict:
    """SFSC: every query width against every gallery width, and every width against the
    old gallery; each cross pair must beat the narrower width's self-retrieval. The full
    width is ``new`` in the embeddings already computed."""
    names = [f"w{w}" for w in trained.widths]
    queries, galleries = (
        {"old": query_emb["old"], names[0]: query_emb["new"]},
        {"old": gallery_emb["old"], names[0]: gallery_emb["new"]},
    )
    for name, model in zip(names[1:], list(trained.widths.values())[1:], strict=True):
        queries[name] = embed_images(model, split.queries.images)
        galleries[name] = embed_images(model, split.gallery.images)
    pairs = [f"{q}/{g}" for q in names for g in names] + [f"{q}/old" for q in names]
    matrix, _ = evaluate_pairs(
        queries, galleries, split.queries.identities, split.gallery.identities, [*pairs, "old/old"]
    )
    compatible = {}
    for q in names:
        for g in names:
            if q != g:
                narrower = names[max(names.index(q), names.index(g))]
                compatible[f"{q}/{g}"] = criterion(matrix[f"{q}/{g}"], matrix[f"{narrower}/{narrower}"])
        compatible[f"{q}/old"] = criterion(matrix[f"{q}/old"], matrix["old/old"])
    matrix.pop("old/old")
    return {"width_matrix": matrix, "width_compatible": compatible}


def run_seed(
    data: ImageSet,
    scenario: Scenario,
    methods: list[Method],
    seed: int,
    train_config: TrainConfig,
    progress: bool,
    checkpoint_dir: Path | None,
    embedding_dir: Path | None = None,
    backfill: tuple[str, ...] = (),
) -> dict[str, dict]:
    split = make_split(data, scenario, seed)
    base = replace(train_config, seed=seed)
    old_result = train_old_model(
        scenario.old_model, split.old_train, replace(base, epochs=scenario.old_epochs), f"seed {seed} old", progress
    )
    old = old_model_for(old_result, split.old_train, split.train)
    query_emb = {"old": embed_images(old_result.model, split.queries.images)}
    gallery_emb = {"old": embed_images(old_result.model, split.gallery.images)}

    def export(model: str) -> None:
        if embedding_dir is None:
            return
        for role, part, table in (("query", split.queries, query_emb), ("gallery", split.gallery, gallery_emb)):
            key = "old" if model == "old" else "new"
            path = embedding_dir / f"seed{seed}-{model}-{role}.parquet"
            write_embedding_table(path, part.ids, table[key], part.identities, f"{model}-seed{seed}")

    export("old")
    results: dict[str, dict] = {}
    if any(m.kind == "old" for m in methods):
        matrix, _ = evaluate_pairs(
            query_emb, gallery_emb, split.queries.identities, split.gallery.identities, ["old/old"]
        )
        results["old"] = {"matrix": matrix, "train_seconds": round(old_result.seconds, 1)}

    new_config = replace(base, epochs=scenario.new_epochs)
    for method in (m for m in methods if m.kind != "old"):
        trained = train_method(
            method, scenario.new_model, split.train, old, new_config, progress, f"seed {seed} {method.name}"
        )
        new_model = trained.model
        query_emb["new"] = embed_images(new_model, split.queries.images)
        gallery_emb["new"] = embed_images(new_model, split.gallery.images)
        gallery_emb["evolved"] = evolve(trained.adapter, gallery_emb["old"])
        export(method.name)
        if embedding_dir is not None:
            write_pairs(
                embedding_dir / f"seed{seed}-{method.name}-pairs.parquet",
                {
                    "train": PairedPart(old.train_features, trained.train_features, split.train.identities),
                    "query": PairedPart(query_emb["old"], query_emb["new"], split.queries.identities),
                    "gallery": PairedPart(gallery_emb["old"], gallery_emb["new"], split.gallery.identities),
                },
                {"train": split.train.ids, "query": split.queries.ids, "gallery": split.gallery.ids},
            )
        matrix, correct = evaluate_pairs(
            query_emb,
            gallery_emb,
            split.queries.identities,
            split.gallery.identities,
            ["old/old", "new/old", "new/evolved", "new/new"],
        )
        ceiling = evolve(gallery_fitted_adapter(gallery_emb["old"], gallery_emb["new"], seed), gallery_emb["old"])
        ceiling_matrix, _ = evaluate_pairs(
            {"new": query_emb["new"]},
            {"ceiling": ceiling},
            split.queries.identities,
            split.gallery.identities,
            ["new/ceiling"],
        )
        results[method.name] = {
            "matrix": matrix,
            "evolution_ceiling": gap_closed(matrix | ceiling_matrix, evolved="new/ceiling"),
            "compatible": is_compatible(matrix),
            "negative_flip_rate": {k: round(v, 3) for k, v in flip_rates(correct).items()},
            "train_seconds": round(trained.seconds, 1),
            "adapter": trained.adapter_source,
            **trained.details,
        }
        if method.kind == "sfsc":
            results[method.name] |= width_results(trained, split, query_emb, gallery_emb)
        if method.name in backfill:
            results[method.name]["backfill_run"] = method_backfill(
                query_emb,
                gallery_emb,
                split.queries.identities,
                split.gallery.identities,
                correct["old/old"],
                reverse_adapters(trained.train_features, old.train_features, split.train.identities, seed),
                matrix,
                seed,
            )
        if checkpoint_dir is not None:
            models = {"": trained.model} | {f"-{width_tag(w)}": m for w, m in list(trained.widths.items())[1:]}
            for suffix, model in models.items():
                save_model(
                    model,
                    checkpoint_dir / f"seed{seed}-{method.name}{suffix}",
                    {"method": method.name, "seed": seed, "scenario": scenario.name},
                )
    if checkpoint_dir is not None:
        save_model(
            old_result.model,
            checkpoint_dir / f"seed{seed}-old",
            {"method": "old", "seed": seed, "scenario": scenario.name},
        )
    return results


def gap_closed(matrix: dict[str, dict], metric: str = "map@100", evolved: str = "new/evolved") -> float | None:
    """How much of the new/old to new/new gap the ``evolved`` row closes (0 to 1)."""
    if evolved not in matrix:
        return None
    gap = matrix["new/new"][metric] - matrix["new/old"][metric]
    return round((matrix[evolved][metric] - matrix["new/old"][metric]) / gap, 3) if gap > 0 else None


def _mean_spread(values: list[float]) -> dict:
    return {
        "mean": round(float(np.mean(values)), 3),
        "std": round(float(np.std(values)), 3),
        "per_seed": [round(v, 3) for v in values],
    }


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
            entry["adapter"] = runs[0]["adapter"]
            entry["gap_closed"] = _mean_spread([gap_closed(r["matrix"]) or 0.0 for r in runs])
            entry["evolution_ceiling"] = _mean_spread([r["evolution_ceiling"] or 0.0 for r in runs])
        if "width_matrix" in runs[0]:
            entry["width_matrix"], entry["width_matrix_std"] = mean_and_std([r["width_matrix"] for r in runs])
            entry["width_compatible_every_seed"] = {
                pair: {m: all(r["width_compatible"][pair][m] for r in runs) for m in verdict}
                for pair, verdict in runs[0]["width_compatible"].items()
            }
        if "backfill_run" in runs[0]:
            curves = summarise_backfill([r.pop("backfill_run") for r in runs])
            primary = curves[PRIMARY]
            entry["backfill"] = {k: primary[k] for k in ("fractions", "map@100", "top1", "auc")} | {"curve": PRIMARY}
            entry["backfill_curves"] = curves
        entry["per_seed"] = [{"seed": s, **r} for s, r in zip(seeds, runs, strict=True)]
        methods[name] = entry
    return methods


def paired_differences(methods: dict[str, dict], baseline: str = "bct") -> dict[str, dict]:
    """Each method minus ``baseline`` per seed (mAP@100): the same split and old model
    on both sides, so the seed-to-seed spread of the old model cancels."""
    out: dict[str, dict] = {}
    if baseline not in methods:
        return out
    reference = methods[baseline]["per_seed"]
    for name, method in methods.items():
        if name in (baseline, "old") or "new/new" not in method["matrix"]:
            continue
        out[name] = {
            pair: _mean_spread(
                [
                    r["matrix"][pair]["map@100"] - b["matrix"][pair]["map@100"]
                    for r, b in zip(method["per_seed"], reference, strict=True)
                ]
            )
            for pair in ("new/old", "new/evolved", "new/new")
        }
    return out


def new_new_cost(methods: dict[str, dict]) -> dict | None:
    """BCT new/new minus independent new/new (mAP@100), paired by seed."""
    if not {"bct", "independent"} <= methods.keys():
        return None
    return _mean_spread(
        [
            b["matrix"]["new/new"]["map@100"] - i["matrix"]["new/new"]["map@100"]
            for b, i in zip(methods["bct"]["per_seed"], methods["independent"]["per_seed"], strict=True)
        ]
    )


def environment(train_config: TrainConfig) -> dict:
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "faiss": faiss.__version__,
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": resolve_device(train_config.device),
        "machine": platform.machine(),
    }


def run_compat_bench(
    data: ImageSet,
    dataset: str,
    scenario: Scenario,
    methods: list[Method],
    seeds: list[int],
    quick: bool,
    out: Path,
    train_config: TrainConfig | None = None,
    progress: bool = True,
    save_checkpoints: bool = False,
    save_embeddings: bool = False,
    backfill: tuple[str, ...] = ("dmu",),
    identities: str = "test",
) -> dict:
    """Run every seed, write ``out`` (JSON), ``out.md`` and ``out.png``; return the JSON.

    ``identities`` names what ``data`` evaluates on ("test", or "validation" for the
    re-split training identities), so a result file says whether its figures may have
    guided a choice."""
    train_config = train_config or TrainConfig()
    started = time.perf_counter()
    checkpoint_dir = out.with_suffix("") / "checkpoints" if save_checkpoints else None
    embedding_dir = out.with_suffix("") / "embeddings" if save_embeddings else None
    per_seed = [
        run_seed(data, scenario, methods, s, train_config, progress, checkpoint_dir, embedding_dir, backfill)
        for s in seeds
    ]
    methods_summary = summarise(per_seed, seeds)
    result = {
        "dataset": dataset,
        "scenario": scenario.name,
        "quick": quick,
        "identities": identities,
        "seeds": seeds,
        "config": {
            "scenario": scenario.to_dict(),
            "train": train_config.__dict__,
            "methods": {m.name: {"kind": m.kind, "summary": m.summary, **m.config()} for m in methods},
        },
        "methods": methods_summary,
        "bct_new_new_cost": new_new_cost(methods_summary),
        "against_bct": paired_differences(methods_summary),
        "environment": environment(train_config),
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    write_text_atomic(out, json.dumps(result, indent=2) + "\n")
    write_text_atomic(out.with_suffix(".md"), markdown_table(result))
    plot_tradeoff(result, out.with_suffix(".png"))
    for name, method in methods_summary.items():
        if "backfill_curves" in method:
            matrix = method["matrix"]
            plot_backfill(
                method["backfill_curves"],
                matrix["old/old"]["map@100"],
                matrix["new/new"]["map@100"],
                f"{dataset} / {scenario.name}: backfill with {name} (mean of seeds {seeds})",
                out.with_name(f"{out.stem}-backfill-{name}.png"),
            )
    return result
