"""The benchmark's methods by name: every variant is one line of the registry, so a
copied line that changes nothing would silently report one method twice."""

from __future__ import annotations

import json

import pytest

from upgradeflow.errors import UserInputError
from upgradeflow.methods.registry import METHODS, parse_methods, with_compat_weight


def test_no_two_methods_train_the_same_way():
    trained_as: dict[tuple[str, str], str] = {}
    for name, method in METHODS.items():
        key = (method.kind, json.dumps(method.config(), sort_keys=True, default=str))
        assert key not in trained_as, f"{name} repeats {trained_as.get(key)}"
        trained_as[key] = name


def test_a_compatibility_weight_changes_only_that_weight():
    bct = with_compat_weight(METHODS["bct"], 2.0)
    assert (bct.name, bct.kind, bct.config()) == ("bct-l2", "bct", {"lambda_bc": 2.0})
    dmu = with_compat_weight(METHODS["dmu-margin"], 0.5)
    assert dmu.config() == METHODS["dmu-margin"].config() | {"lambda_bc": 0.5}
    assert METHODS["dmu-margin-l0.5"] == dmu  # the trade-off variants are registered


def test_methods_are_parsed_in_the_order_given():
    assert [m.name for m in parse_methods(" dmu, old ,,bct-l1.5")] == ["dmu", "old", "bct-l1.5"]


@pytest.mark.parametrize(("text", "message"), [(" , ", "no method named"), ("old,magic", "unknown method 'magic'")])
def test_unknown_or_missing_methods_are_refused(text, message):
    with pytest.raises(UserInputError, match=message):
        parse_methods(text)
