import subprocess
import sys

import numpy as np
import torch

from upgradeflow.models.checkpoint import load_model, save_model
from upgradeflow.models.config import NEW_MODEL, OLD_MODEL
from upgradeflow.models.cosine_classifier import CosineClassifier
from upgradeflow.models.embedder import EmbeddingModel


def test_embeddings_are_unit_norm_and_sizes_differ():
    torch.manual_seed(0)
    old, new = EmbeddingModel(OLD_MODEL).eval(), EmbeddingModel(NEW_MODEL).eval()
    x = torch.rand(8, 1, 32, 32)
    for model in (old, new):
        out = model(x)
        assert out.shape == (8, 128)
        torch.testing.assert_close(out.norm(dim=1), torch.ones(8))
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(new) > 3 * count(old)


def test_seeding_is_deterministic():
    torch.manual_seed(5)
    a = EmbeddingModel(OLD_MODEL).state_dict()
    torch.manual_seed(5)
    b = EmbeddingModel(OLD_MODEL).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_cosine_classifier_logits_are_bounded_by_scale():
    classifier = CosineClassifier(16, 5, scale=10.0)
    logits = classifier(torch.randn(4, 16))
    assert logits.abs().max() <= 10.0 + 1e-5


def test_checkpoint_loads_in_a_fresh_process_without_training_code(tmp_path):
    torch.manual_seed(1)
    model = EmbeddingModel(OLD_MODEL).eval()
    path = save_model(model, tmp_path / "old", {"method": "old"})
    x = torch.rand(3, 1, 32, 32)
    np.save(tmp_path / "x.npy", x.numpy())
    np.save(tmp_path / "expected.npy", model(x).detach().numpy())
    script = (
        "import sys, numpy as np, torch\n"
        "from upgradeflow.models.checkpoint import load_model\n"
        f"m = load_model({str(path)!r})\n"
        f"x = torch.from_numpy(np.load({str(tmp_path / 'x.npy')!r}))\n"
        f"expected = np.load({str(tmp_path / 'expected.npy')!r})\n"
        "np.testing.assert_allclose(m(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)\n"
        "assert 'upgradeflow.training' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    weights = torch.load(path, weights_only=True)
    assert isinstance(weights, dict) and all(isinstance(v, torch.Tensor) for v in weights.values())
    assert load_model(path).config == OLD_MODEL
