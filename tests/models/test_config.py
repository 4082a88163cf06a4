"""Model configs travel as JSON beside every checkpoint, so one must come back equal."""

from upgradeflow.models.config import NEW_MODEL, ModelConfig


def test_a_config_round_trips_through_its_dict():
    config = ModelConfig(width=16, depth=3, embedding_dim=64, image_size=24, out_width=32)
    assert ModelConfig.from_dict(config.to_dict()) == config


def test_the_last_layer_is_as_wide_as_the_rest_unless_told_otherwise():
    assert NEW_MODEL.last_width == NEW_MODEL.width == 64
    assert ModelConfig(width=16, out_width=64).last_width == 64
