"""A named series of versions with one pointer, the shape galleries and indexes share:
every key stays inside the series, and a manifest is written once."""

from __future__ import annotations

import pytest

from upgradeflow.errors import UserInputError
from upgradeflow.store.local import LocalStore
from upgradeflow.store.pointer import advance
from upgradeflow.store.versioned import VersionedSeries


class Series(VersionedSeries):
    kind = "series"
    root = "series"
    no_live_hint = "version (seal one first)"


@pytest.fixture
def series(tmp_path) -> Series:
    return Series(LocalStore(tmp_path / "store"), "s")


def test_a_version_name_that_could_leave_the_series_is_refused_before_any_key_is_made(series):
    assert series.version_key("v1", "manifest.json") == "series/s/versions/v1/manifest.json"
    with pytest.raises(UserInputError, match=r"version name '\.\./\.\./x'"):
        series.version_key("../../x", "manifest.json")
    with pytest.raises(UserInputError, match="series name 'a/b'"):
        Series(series.store, "a/b")


def test_the_first_manifest_written_stays(series):
    assert series.write_manifest("v1", {"n": 1}) == {"n": 1}
    assert series.write_manifest("v1", {"n": 2}) == {"n": 1}  # a concurrent sealer lost
    assert series.is_sealed("v1") and not series.is_sealed("v2")
    with pytest.raises(UserInputError, match="s version v2: no such sealed version"):
        series.manifest("v2")


def test_the_live_version_is_the_default_and_its_absence_says_what_to_do(series):
    with pytest.raises(UserInputError, match=r"series/s: no live version \(seal one first\)"):
        series.resolve(None)
    series.write_manifest("v1", {"n": 1})
    series.write_manifest("v2", {"n": 2})
    advance(series.store, series.pointer_key, "v1", expected_current=None)
    advance(series.store, series.pointer_key, "v2", expected_current="v1")
    assert series.manifest() == {"n": 2} and series.version_names() == ["v1", "v2"]
    pointer = series.pointer()
    assert [series.state(v, pointer) for v in ("v2", "v1")] == ["live", "previous"]
    assert series.rollback(expected_current="v2").current == "v1"
