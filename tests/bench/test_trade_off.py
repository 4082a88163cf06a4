import pytest

from tests.bench.helpers import DMU, bct, run_file
from upgradeflow.bench.trade_off import above_curve, lambda_curves, merge_runs, trade_off
from upgradeflow.errors import UserInputError


def test_above_curve_interpolates_between_the_curve_points_and_refuses_to_extrapolate():
    curve = [(7.0, 90.0), (8.0, 86.0), (9.0, 84.0)]
    assert above_curve(curve, (7.5, 89.0)) == pytest.approx(1.0)  # the curve gives 88 at 7.5
    assert above_curve(curve, (8.5, 84.0)) == pytest.approx(-1.0)
    assert above_curve(curve, (9.5, 90.0)) is None


def test_methods_that_differ_only_in_lambda_form_one_curve_ordered_by_lambda(tmp_path):
    first = run_file(tmp_path, "a", {"bct": (bct(), [(8.0, 86.0)]), "dmu-l0.5": (DMU | {"lambda_bc": 0.5}, [(7, 88)])})
    second = run_file(
        tmp_path,
        "b",
        {"bct-l2": (bct(2.0), [(9.0, 84.0)]), "dmu": (DMU | {"lambda_bc": 1.0}, [(8.5, 86.0)])},
    )
    curves = lambda_curves(merge_runs([first, second]))
    assert curves == {"bct": ["bct", "bct-l2"], "dmu": ["dmu-l0.5", "dmu"]}


def test_each_method_is_placed_against_bcts_curve_of_its_own_seed(tmp_path):
    path = run_file(
        tmp_path,
        "a",
        {
            "bct-l0.5": (bct(0.5), [(7.0, 90.0), (6.0, 91.0)]),
            "bct": (bct(), [(8.0, 86.0), (7.0, 87.0)]),
            "dmu": (DMU, [(7.5, 89.0), (6.5, 90.0)]),
            "far": (DMU | {"weighting": "entropy"}, [(1.0, 92.0), (1.0, 92.0)]),
        },
    )
    rows = trade_off(merge_runs([path]))["methods"]
    assert rows["dmu"]["above_bct_curve"] == {"mean": 1.0, "std": 0.0, "seeds_inside": 2}
    assert rows["far"]["above_bct_curve"]["mean"] is None


def test_runs_of_another_split_or_with_other_figures_under_one_name_are_refused(tmp_path):
    base = run_file(tmp_path, "a", {"bct": (bct(), [(8.0, 86.0)])})
    other_split = run_file(tmp_path, "b", {"bct-l2": (bct(2.0), [(9.0, 84.0)])}, old_old=10.3)
    with pytest.raises(UserInputError, match="old/old differs"):
        merge_runs([base, other_split])
    renamed = run_file(tmp_path, "c", {"bct": (bct(), [(8.1, 86.0)])})
    with pytest.raises(UserInputError, match="method bct has other figures"):
        merge_runs([base, renamed])


def test_without_bct_at_two_weights_there_is_no_curve(tmp_path):
    path = run_file(tmp_path, "a", {"bct": (bct(), [(8.0, 86.0)]), "dmu": (DMU, [(8.0, 87.0)])})
    with pytest.raises(UserInputError, match="no bct at two or more λ"):
        trade_off(merge_runs([path]))
