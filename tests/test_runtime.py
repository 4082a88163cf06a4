"""The torch thread setting: a bad value is the user's mistake, said in one line."""

from __future__ import annotations

import pytest
import torch

from upgradeflow.errors import UserInputError
from upgradeflow.runtime import configure_torch, default_threads


def test_threads_come_from_the_variable_or_every_core(monkeypatch):
    monkeypatch.setenv("UPGRADEFLOW_THREADS", "1")
    assert default_threads() == 1
    monkeypatch.delenv("UPGRADEFLOW_THREADS")
    assert default_threads() >= 1


@pytest.mark.parametrize("value", ["abc", "0", "-2", "1.5"])
def test_a_bad_variable_is_refused(monkeypatch, value):
    monkeypatch.setenv("UPGRADEFLOW_THREADS", value)
    with pytest.raises(UserInputError, match="UPGRADEFLOW_THREADS must be a positive integer"):
        default_threads()


def test_a_bad_count_is_refused_and_leaves_torch_as_it_was():
    before = torch.get_num_threads()
    for threads in (0, -1):
        with pytest.raises(UserInputError, match="--threads must be a positive integer"):
            configure_torch(threads)
    assert torch.get_num_threads() == before
