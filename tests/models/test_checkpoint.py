"""Model checkpoints load in a process without the training code, and a file that is
not one is a line that names it, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from tests.cli.test_main import main_user_error
from tests.store.helpers import make_adapter, write_embeddings
from upgradeflow.cli.main import main
from upgradeflow.errors import UserInputError
from upgradeflow.models.checkpoint import load_model, save_model
from upgradeflow.models.config import OLD_MODEL, ModelConfig
from upgradeflow.models.embedder import EmbeddingModel


def tiny(tmp_path, width: int = 8):
    torch.manual_seed(0)
    return save_model(EmbeddingModel(ModelConfig(width=width, depth=2, embedding_dim=16, image_size=16)), tmp_path)


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


def test_an_adapter_is_not_a_model_checkpoint(tmp_path):
    adapter = make_adapter(tmp_path / "forward.pt")
    with pytest.raises(
        UserInputError, match=r"not a model checkpoint \(forward.json: format 'upgradeflow.adapter/1'\)"
    ):
        load_model(adapter)


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda path: path.write_bytes(b""), "model.pt is empty or truncated"),
        (lambda path: path.write_bytes(b"garbage" * 9), "model.pt is not a PyTorch file of tensors"),
        (lambda path: path.with_suffix(".json").write_text("{"), "Expecting property name"),
        (lambda path: path.with_suffix(".json").write_text("[]"), "format missing (it holds a JSON list)"),
        (lambda path: path.write_bytes(tiny(path.with_name("wide"), width=4).read_bytes()), "do not fit the config"),
    ],
)
def test_corrupt_or_mismatched_checkpoints_are_one_line_user_errors(spoil, message, tmp_path):
    path = tiny(tmp_path / "model")
    spoil(path)
    with pytest.raises(UserInputError) as raised:
        load_model(path)
    text = str(raised.value)
    assert text.startswith(f"{path}: not a model checkpoint (") and message in text and "\n" not in text


def test_unknown_config_keys_are_a_user_error(tmp_path):
    path = tiny(tmp_path / "model")
    document = json.loads(path.with_suffix(".json").read_text())
    document["config"]["hidden_dim"] = 3
    path.with_suffix(".json").write_text(json.dumps(document))
    with pytest.raises(UserInputError, match="hidden_dim"):
        load_model(path)


def test_gallery_backfill_with_an_adapter_as_model_is_one_line_and_exit_2(tmp_path, capsys):
    store = ["--store", str(tmp_path / "store")]
    assert main(["gallery", "import", "g", "--from", str(write_embeddings(tmp_path / "g.parquet", 20)), *store]) == 0
    adapter = make_adapter(tmp_path / "forward.pt")
    error = main_user_error(capsys, "gallery", "backfill", "g", "--model", str(adapter), *store)
    assert error.startswith(f"upgradeflow: error: {adapter}: not a model checkpoint")
