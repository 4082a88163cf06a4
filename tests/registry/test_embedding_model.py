"""The model a command names loads the same from a checkpoint and from the registry."""

from __future__ import annotations

import numpy as np
import torch

from tests.backfill.helpers import tiny_model
from tests.store.helpers import make_adapter
from upgradeflow.models.checkpoint import save_model
from upgradeflow.registry.embedding_model import load_embedding_model
from upgradeflow.registry.model_package import FORWARD_ADAPTER_FILE, MODEL_FILE
from upgradeflow.registry.tracking import use_tracking
from upgradeflow.registry.versions import register_version


def test_a_checkpoint_and_its_registered_version_load_the_same_model(tmp_path, restore_tracking):
    model = tiny_model(4)
    package = tmp_path / "package"
    checkpoint = save_model(model, package / MODEL_FILE)
    make_adapter(package / FORWARD_ADAPTER_FILE)
    use_tracking(f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}")
    ref = register_version(
        "loading-test", "0123456789abcdef", package, params={}, metrics={}, artifacts=[], tags={},
        input_example=np.zeros((2, 16, 16), dtype=np.uint8),
    )  # fmt: skip
    images = torch.rand(3, 1, 16, 16)
    expected = model.eval()(images)
    for uri in (str(checkpoint), ref.uri):
        torch.testing.assert_close(load_embedding_model(uri).eval()(images), expected)
