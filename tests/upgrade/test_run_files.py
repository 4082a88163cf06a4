"""A run key names a folder in the store, so only the form train_new_model makes is taken."""

from __future__ import annotations

import pytest

from upgradeflow.errors import UserInputError
from upgradeflow.upgrade.run_files import run_prefix
from upgradeflow.upgrade.spec import digest


def test_a_digest_is_a_run_key():
    key = digest({"any": "document"})
    assert run_prefix(key) == f"runs/{key}"


@pytest.mark.parametrize("key", ["../../etc", "/etc", "0123456789abcdef/..", "0123456789ABCDEF", "abc", ""])
def test_anything_else_is_refused_in_one_line(key):
    with pytest.raises(UserInputError, match="not a run key") as raised:
        run_prefix(key)
    assert "\n" not in str(raised.value)
