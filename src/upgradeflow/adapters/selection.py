"""Fit every candidate map on part of the training pairs, keep the one that retrieves
best on the rest, and refit it on every pair.

The closed forms are fitted first; the learned candidates start at the best of them, so
a learned map is chosen only when it beats the closed form on pairs neither saw. Ties go
to the simpler map. The record of every candidate's held-out figures travels with the
adapter, so a reader of its JSON can see what it won against.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from upgradeflow.adapters.closed_form import (
    AffineMap,
    PairStatistics,
    procrustes_map,
    ridge_maps,
    soft_orthogonal_map,
)
from upgradeflow.adapters.heldout import HeldOutSplit, held_out_split, heldout_scorer, retrieval_key
from upgradeflow.adapters.residual import ResidualConfig, fit_residual
from upgradeflow.models.adapter import AdapterConfig, MLPAdapter

CLOSED_FORMS = ("ridge", "procrustes", "soft-orthogonal")
DEFAULT_RIDGE = 1e-2  # the strength used when too few rows are held out to choose one
FORWARD_LEARNED = {"residual": ResidualConfig()}
REVERSE_LEARNED = {"residual": ResidualConfig(), "metric-compatible": ResidualConfig(loss="metric")}

Report = Callable[[str], None]


@dataclass(frozen=True)
class ChosenAdapter:
    adapter: MLPAdapter  # the chosen map, refitted on every row
    record: dict  # "chosen", "candidates" (held-out figures, seconds), "held_out", "note"
    closed_forms: dict[str, AffineMap] = field(default_factory=dict)  # refitted on every row, when asked for
    split: HeldOutSplit | None = None
    held_out_map: MLPAdapter | None = None  # the chosen map as fitted without the held-out rows

    @property
    def family(self) -> str:
        return self.record["chosen"]


def affine_adapter(mapping: AffineMap) -> MLPAdapter:
    """The affine map as a one-layer adapter, so it saves and loads like any other."""
    in_dim, out_dim = mapping.weight.shape
    adapter = MLPAdapter(AdapterConfig(in_dim, out_dim, out_dim, depth=1))
    with torch.no_grad():
        adapter.net[0].weight.copy_(torch.from_numpy(mapping.weight.T.copy()))
        adapter.net[0].bias.copy_(torch.from_numpy(mapping.bias.copy()))
    return adapter.eval()


def _closed_forms(stats: PairStatistics, strength: float, families: tuple[str, ...]) -> dict[str, AffineMap]:
    """The named closed forms at ridge ``strength``; Procrustes is computed once, as the
    soft-orthogonal map starts from it."""
    maps = {"ridge": ridge_maps(stats, (strength,))[strength]} if "ridge" in families else {}
    if {"procrustes", "soft-orthogonal"} & set(families):
        maps["procrustes"] = procrustes_map(stats)
    if "soft-orthogonal" in families:
        maps["soft-orthogonal"] = soft_orthogonal_map(stats, maps["procrustes"])
    return {name: maps[name] for name in families}


def choose_adapter(
    source: np.ndarray,
    target: np.ndarray,
    identities: np.ndarray,
    learned: dict[str, ResidualConfig],
    seed: int = 0,
    report: Report = lambda line: None,
    every_closed_form: bool = False,
) -> ChosenAdapter:
    """The best map from ``source`` rows to their ``target`` rows among the closed forms
    and the ``learned`` residuals, by held-out retrieval (mAP@100, then top-1).
    ``every_closed_form`` also refits the closed forms that lost, for comparison."""
    split = held_out_split(identities, seed)
    if split is None:
        note = f"{len(identities)} training rows are too few to hold any out: centred ridge, not chosen"
        report(note)
        families = CLOSED_FORMS if every_closed_form else ("ridge",)
        maps = _closed_forms(PairStatistics.of(source, target), DEFAULT_RIDGE, families)
        summary = {"chosen": "ridge", "candidates": {}, "note": note}
        return ChosenAdapter(affine_adapter(maps["ridge"]), summary, maps if every_closed_form else {})
    score = heldout_scorer(source, target, identities, split)
    candidates: dict[str, dict] = {}

    def note_candidate(name: str, figures: dict, started: float, **extra) -> None:
        candidates[name] = {**figures, "seconds": round(time.perf_counter() - started, 2), **extra}
        report(f"{name}: held-out mAP@100 {figures['map@100']:.2f}, top-1 {figures['top1']:.2f}")

    started = time.perf_counter()
    stats = PairStatistics.of(source[split.fit], target[split.fit])
    ridge_path = ridge_maps(stats)
    ridges = {strength: score(mapping) for strength, mapping in ridge_path.items()}
    strength = max(ridges, key=lambda s: retrieval_key(ridges[s]))
    path = {str(s): figures for s, figures in ridges.items()}
    note_candidate("ridge", ridges[strength], started, strength=strength, path=path)
    closed: dict[str, AffineMap] = {"ridge": ridge_path[strength]}
    started = time.perf_counter()
    closed["procrustes"] = procrustes_map(stats)
    note_candidate("procrustes", score(closed["procrustes"]), started)
    started = time.perf_counter()
    closed["soft-orthogonal"] = soft_orthogonal_map(stats, closed["procrustes"])
    note_candidate("soft-orthogonal", score(closed["soft-orthogonal"]), started)
    base = max(CLOSED_FORMS, key=lambda name: retrieval_key(candidates[name]))

    steps: dict[str, int] = {}
    fitted: dict[str, MLPAdapter] = {}
    for name, config in learned.items():
        started = time.perf_counter()
        config = replace(config, seed=seed)
        fitted[name], trace = fit_residual(
            source[split.fit], target[split.fit], identities[split.fit], closed[base], score, config
        )
        best = max(trace["checks"], key=retrieval_key)
        steps[name] = trace["best_step"]
        note_candidate(name, {"map@100": best["map@100"], "top1": best["top1"]}, started, start=base, **trace)

    chosen = base
    for name in learned:
        if retrieval_key(candidates[name]) > retrieval_key(candidates[chosen]):
            chosen = name
    report(f"chosen: {chosen}")

    refitted = _closed_forms(
        PairStatistics.of(source, target), strength, CLOSED_FORMS if every_closed_form else (base,)
    )
    if chosen in learned:
        config = replace(learned[chosen], seed=seed)
        adapter, _ = fit_residual(source, target, identities, refitted[base], score, config, steps=steps[chosen])
        held_out_map = fitted[chosen]
    else:
        adapter = affine_adapter(refitted[base])
        held_out_map = affine_adapter(closed[base])
    summary = {"chosen": chosen, "closed_form_base": base, "candidates": candidates, "held_out": split.describe()}
    return ChosenAdapter(adapter, summary, refitted if every_closed_form else {}, split, held_out_map)
