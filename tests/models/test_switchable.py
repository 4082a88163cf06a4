import pytest
import torch

from upgradeflow.errors import UserInputError
from upgradeflow.models.checkpoint import load_model, save_model
from upgradeflow.models.config import ModelConfig
from upgradeflow.models.switchable import SwitchableEmbeddingModel, check_widths

CONFIG = ModelConfig(width=16, depth=3, embedding_dim=8, image_size=16)


@pytest.mark.parametrize(
    ("private_heads", "full_width_output"),
    [(False, True), (False, False), (True, False)],
    ids=["full-width-output", "sliced-output", "private-heads"],
)
def test_each_cut_out_width_embeds_exactly_like_the_family(private_heads, full_width_output):
    torch.manual_seed(0)
    family = SwitchableEmbeddingModel(CONFIG, private_heads=private_heads, full_width_output=full_width_output)
    family.train()
    images = torch.rand(32, 1, 16, 16)
    for index in range(len(family.widths)):  # give every width's norms their own statistics
        family.active = index
        family(images)
    family.eval()
    for index, width in enumerate(family.widths):
        family.active = index
        sub = family.sub_model(index)
        assert sub.config.width == round(16 * width)
        assert sub.config.last_width == (16 if full_width_output else round(16 * width))
        torch.testing.assert_close(sub(images), family(images))
    assert sum(p.numel() for p in family.sub_model(3).parameters()) < sum(
        p.numel() for p in family.sub_model(0).parameters()
    )


def test_a_narrow_width_with_a_full_width_output_layer_survives_its_checkpoint(tmp_path):
    torch.manual_seed(0)
    sub = SwitchableEmbeddingModel(CONFIG).eval().sub_model(3)
    loaded = load_model(save_model(sub, tmp_path / "w025"))
    assert (loaded.config.width, loaded.config.last_width) == (4, 16)
    images = torch.rand(4, 1, 16, 16)
    torch.testing.assert_close(loaded(images), sub(images))


def test_a_full_width_output_layer_excludes_private_heads():
    with pytest.raises(UserInputError, match="exclude each other"):
        SwitchableEmbeddingModel(CONFIG, private_heads=True, full_width_output=True)


def test_private_heads_are_not_shared_between_widths():
    family = SwitchableEmbeddingModel(CONFIG, private_heads=True, full_width_output=False)
    shared = {id(p) for p in family.shared_parameters()}
    assert not any(id(p) in shared for p in family.private_heads.parameters())
    assert [h.in_features for h in family.private_heads] == [12, 8, 4]


@pytest.mark.parametrize(
    ("widths", "message"),
    [
        ((0.5, 1.0), "strictly descending"),
        ((1.0, 1.0), "strictly descending"),
        ((1.5, 0.5), r"in \(0, 1\]"),
        ((1.0, 0.0), r"in \(0, 1\]"),
        ((), "empty"),
    ],
)
def test_bad_width_lists_are_rejected(widths, message):
    with pytest.raises(UserInputError, match=message):
        check_widths(widths)
