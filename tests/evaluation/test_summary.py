from upgradeflow.evaluation.summary import markdown_table


def _cells(value: float) -> dict:
    return {"map@100": value, "map": value, "top1": value, "top5": value}


def test_width_section_names_the_seed_its_training_details_come_from():
    widths = ("w1.0", "w0.5")
    pairs = [f"{q}/{g}" for q in widths for g in (*widths, "old")]
    sfsc = {
        "matrix": {"new/new": _cells(90.0)},
        "width_matrix": {pair: _cells(80.0) for pair in pairs},
        "width_compatible_every_seed": {
            pair: {"map@100": pair != "w0.5/old", "top1": True}
            for pair in pairs
            if pair not in ("w1.0/w1.0", "w0.5/w0.5")
        },
        "per_seed": [{"seed": 7, "log_variances": [0.1, 0.4], "projected_steps": 0.2}],
    }
    table = markdown_table(
        {"dataset": "toy", "scenario": "default", "quick": True, "seeds": [7], "methods": {"sfsc": sfsc}}
    )
    assert "Learned log-variances s_k (seed 7): [0.1, 0.4]." in table
    assert "changed the update (seed 7): 0.2." in table
    assert "| w0.5 | 80.0 / 80.0 | 80.0 / 80.0 | 80.0 / 80.0 ✗ |" in table


def test_width_section_leaves_out_training_details_that_were_not_used():
    sfsc = {
        "matrix": {"new/new": _cells(90.0)},
        "width_matrix": {f"{q}/{g}": _cells(80.0) for q in ("w1.0",) for g in ("w1.0", "old")},
        "width_compatible_every_seed": {"w1.0/old": {"map@100": True, "top1": True}},
        "per_seed": [{"seed": 0, "log_variances": None, "projected_steps": None}],
    }
    table = markdown_table(
        {"dataset": "toy", "scenario": "default", "quick": True, "seeds": [0], "methods": {"sfsc": sfsc}}
    )
    assert "log-variances" not in table
    assert "gradient projection changed" not in table


def test_header_names_the_identities_the_figures_come_from():
    old = {"matrix": {"old/old": _cells(70.0)}}
    base = {"dataset": "toy", "scenario": "hard", "quick": False, "seeds": [0], "methods": {"old": old}}
    assert "full mode, validation view of the training identities, seeds [0]" in markdown_table(
        base | {"identities": "validation"}
    )
    assert "full mode, test identities, seeds [0]" in markdown_table(base | {"identities": "test"})
    # Files recorded before the field existed still render.
    assert "full mode, seeds [0]" in markdown_table(base)
