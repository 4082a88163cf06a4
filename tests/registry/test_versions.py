"""Registered versions and their aliases, against a real SQLite-backed registry: a
re-run must find its own version by run key, and an alias move must say whether it
changed anything."""

from __future__ import annotations

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from upgradeflow.errors import UserInputError
from upgradeflow.registry.tracking import use_tracking
from upgradeflow.registry.versions import (
    CHAMPION,
    RUN_KEY_TAG,
    ModelRef,
    alias_version,
    find_version,
    metric_items,
    resolve,
    set_alias,
    tag_version,
    tags_of,
)


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> MlflowClient:
    """One registry for the module (creating its tables takes seconds); the process's
    tracking URI is put back afterwards."""
    previous = mlflow.get_tracking_uri()
    use_tracking(f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}")
    yield MlflowClient()
    mlflow.set_tracking_uri(previous)


def register(client: MlflowClient, name: str, run_keys: list[str]) -> None:
    """Versions 1..n of ``name``, without the model files (what is tested reads tags only)."""
    client.create_registered_model(name)
    for key in run_keys:
        client.create_model_version(name, source="unused", tags={RUN_KEY_TAG: key})


def test_a_rerun_finds_the_first_version_its_run_key_registered(registry):
    register(registry, "rerun", ["aaa", "bbb", "aaa"])
    assert find_version("rerun", "aaa") == ModelRef("rerun", "1")
    assert find_version("rerun", "bbb") == ModelRef("rerun", "2")
    assert find_version("rerun", "ccc") is None
    assert find_version("never-registered", "aaa") is None


def test_an_alias_moves_once_and_resolves_to_its_version(registry):
    register(registry, "aliased", ["a", "b"])
    assert alias_version("aliased", CHAMPION) is None
    assert set_alias(ModelRef("aliased", "2"), CHAMPION) is True
    assert set_alias(ModelRef("aliased", "2"), CHAMPION) is False  # already there: nothing changed
    assert resolve("models:/aliased@champion") == ModelRef("aliased", "2")
    assert resolve("models:/aliased/1").uri == "models:/aliased/1"


def test_tags_added_later_are_read_back_with_the_run_key(registry):
    register(registry, "tagged", ["k"])
    tag_version(ModelRef("tagged", "1"), {"upgradeflow.width": "0.5"})
    assert tags_of(ModelRef("tagged", "1")) == {RUN_KEY_TAG: "k", "upgradeflow.width": "0.5"}


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("models:/absent@champion", "no such registered model version in sqlite:///"),
        ("models:/absent/7", "no such registered model version"),
        ("models:/absent", "not a registered model URI"),
        ("runs:/abc/model", "not a registered model URI"),
    ],
)
def test_unresolvable_uris_are_one_line(registry, uri, message):
    with pytest.raises(UserInputError, match=message) as raised:
        resolve(uri)
    assert str(raised.value).startswith(f"{uri}: ") and "\n" not in str(raised.value)


def test_metric_names_suit_mlflow_and_only_numbers_are_logged():
    metrics = {"new/old": {"map@100": 41.5, "top1": 60, "note": "text"}, "new/new": {"map": 50.0}}
    assert metric_items("test/", metrics) == {
        "test/new/old/map_at_100": 41.5,
        "test/new/old/top1": 60.0,
        "test/new/new/map": 50.0,
    }
