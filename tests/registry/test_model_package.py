"""The registered pyfunc: loads without warnings and predicts what the model embeds."""

from __future__ import annotations

import subprocess
import sys

import numpy as np


def test_importing_the_package_warns_nothing():
    """MLflow 3 warns about a ``predict`` without type hints when the class is defined."""
    code = "import upgradeflow.registry.model_package"
    result = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_saved_package_loads_and_predicts_the_model_embeddings(tmp_path, recwarn):
    import mlflow
    import torch

    from upgradeflow.models.checkpoint import save_model
    from upgradeflow.models.config import ModelConfig
    from upgradeflow.models.embedder import EmbeddingModel
    from upgradeflow.models.inference import embed_images
    from upgradeflow.registry.model_package import CHECKPOINTS, MODEL_FILE, EmbeddingPackage

    torch.manual_seed(0)
    model = EmbeddingModel(ModelConfig(width=8, depth=2, embedding_dim=16, image_size=16)).eval()
    checkpoints = tmp_path / "checkpoints"
    save_model(model, checkpoints / MODEL_FILE)
    images = np.random.default_rng(0).integers(0, 256, (3, 16, 16), dtype=np.uint8)

    mlflow.pyfunc.save_model(
        tmp_path / "package", python_model=EmbeddingPackage(), artifacts={CHECKPOINTS: str(checkpoints)}
    )
    loaded = mlflow.pyfunc.load_model(str(tmp_path / "package"))

    np.testing.assert_allclose(loaded.predict(images), embed_images(model, images, device="cpu"), atol=1e-6)
    assert not [w for w in recwarn if "type hints" in str(w.message)]
