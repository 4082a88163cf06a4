"""The registered pyfunc: loads without warnings and predicts what the model embeds."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from tests.encoders.conftest import tiny_bert, tiny_sentence_transformer  # noqa: F401
from upgradeflow.encoders.spec import load_encoder


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


def test_a_registered_backbone_with_its_head_embeds_raw_text_as_the_champion(tmp_path, tiny_sentence_transformer):  # noqa: F811
    """What a pretrained upgrade promotes: ``models:/NAME@champion`` takes texts, through
    the copied backbone and the head, with no path of the training machine left in it."""
    import shutil

    import mlflow
    import torch

    from upgradeflow.encoders.package import package_headed
    from upgradeflow.encoders.text import SentenceTransformerEncoder
    from upgradeflow.models.adapter import AdapterConfig, MLPAdapter
    from upgradeflow.registry.model_package import ENCODER_REQUIREMENTS
    from upgradeflow.registry.tracking import use_tracking
    from upgradeflow.registry.versions import CHAMPION, register_version, set_alias

    previous = mlflow.get_tracking_uri()
    use_tracking(f"sqlite:///{tmp_path / 'mlflow.db'}")
    try:
        torch.manual_seed(0)
        head = MLPAdapter(AdapterConfig(32, 16, 8, depth=2)).eval()
        backbone = SentenceTransformerEncoder(tiny_sentence_transformer)
        reference = f"sentence-transformers:{tiny_sentence_transformer}"
        description = package_headed(backbone, reference, head, tmp_path / "checkpoints")
        texts = ["the dog sleeps", "a man plays guitar", "stock market fell"]
        expected = load_encoder(f"headed:{description}").encode(texts)
        ref = register_version(
            "text-model", "run-1", tmp_path / "checkpoints", params={}, metrics={}, artifacts=[], tags={},
            input_example=texts[:2], requirements=tuple(ENCODER_REQUIREMENTS["sentence-transformers"]),
        )  # fmt: skip
        set_alias(ref, CHAMPION)
        shutil.rmtree(tmp_path / "checkpoints")
        champion = mlflow.pyfunc.load_model("models:/text-model@champion")
        np.testing.assert_allclose(champion.predict(texts), expected, atol=1e-5)
        assert champion.unwrap_python_model().encoder.modality == "text"
    finally:
        mlflow.set_tracking_uri(previous)
