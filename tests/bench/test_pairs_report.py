"""The Markdown report of a paired-embedding benchmark: what a reader decides on, so a
missing comparison or an unservable policy must be said, never left blank."""

from __future__ import annotations

from upgradeflow.bench.pairs_report import pairs_markdown

FIGURES = {"map@100": 40.0, "map": 38.0, "top1": 50.0, "top5": 70.0}


def policy(rest: str, servable: bool, reach: float | None) -> dict:
    return {
        "rest": rest, "scale": "raw", "held_out": {"raw": {"excess_drop_bound": 0.25}}, "servable": servable,
        "auc": 45.0, "normalised_auc": 0.5, "largest_drop": 0.1, "excess_drop": 0.0, "meets_no_drop": servable,
        "fraction_to_95pct": reach,
    }  # fmt: skip


def result(**changes) -> dict:
    """A benchmark result of two models whose dimensions differ (so no raw new/old)."""
    forward = {
        "chosen": "residual",
        "closed_form_base": "ridge",
        "chosen_minus_best": {"map@100": 1.5, "top1": -0.5},
        "best_closed_form": {"map@100": 38.5, "top1": 50.5},
        "candidates": {
            "ridge": {"held_out": {"map@100": 37.0, "top1": 49.0}, "test": {"map@100": 38.5, "top1": 50.5}},
            "residual": {"held_out": {"map@100": 39.0, "top1": 48.0}, "seconds": 1.25},
        },
        "held_out": {"by": "identity", "held_out_rows": 20, "protocol": "identity"},
    }
    document = {
        "pairs": "pairs.parquet",
        "rows": {"train": 200, "query": 30, "gallery": 240},
        "dimensions": {"old": 16, "new": 32},
        "identities": {"train": 50, "train_rows_per_identity": {"min": 4, "max": 4}, "shared_by_train_and_test": 0},
        "verdict": "the new model improves mAP@100 by 5.0",
        "matrix": {"old/old": FIGURES, "new/evolved": FIGURES, "new/new": FIGURES},
        "adapters": {"forward": forward},
        "policies": {"evolved-random": policy("evolved", True, None), "rho-random": policy("rho", False, 0.4)},
        "recommended_policy": "evolved-random",
        "diagnostics": {},
        "notes": ["worst-first: no identity has two train rows"],
        "seconds": {"adapters": 2.0, "total": 5.0},
    }
    return document | changes


def test_the_report_says_what_it_could_not_compare_and_what_won():
    lines = pairs_markdown(result()).splitlines()
    assert lines[2] == "**Verdict: the new model improves mAP@100 by 5.0.**"
    matrix = [line.split(" |")[0] for line in lines if line.startswith("| old/") or line.startswith("| new/")]
    assert matrix == ["| old/old", "| new/evolved", "| new/new", "| new/old"]
    assert "| new/old | (dimensions differ: not comparable raw) | | | |" in lines
    assert "| **residual** | 39.0 | 48.0 |  |  | 1.2 |" in lines  # no test figures: blank, not zero
    assert any("chosen `residual` (on `ridge`)" in line and "+1.50 mAP@100" in line for line in lines)
    assert "**Recommended policy: `evolved-random`** (normalised AUC 0.500 on the evaluated rows)." in lines
    assert "| evolved-random | raw | 0.25 | yes | 45.0 | 0.500 | 0.10 | 0.00 | yes | never |" in lines
    assert "| rho-random | raw | 0.25 | **no** | 45.0 | 0.500 | 0.10 | 0.00 | **no** | 0.40 |" in lines
    assert "- worst-first: no identity has two train rows" in lines


def test_a_policy_the_service_cannot_run_is_flagged_and_none_servable_is_said():
    rho = pairs_markdown(result(recommended_policy="rho-random"))
    assert "`upgradeflow serve` merges an evolved gallery's raw scores only" in rho
    nothing = pairs_markdown(result(recommended_policy=None))
    assert "**No policy is servable on this case.**" in nothing and "Recommended policy" not in nothing
