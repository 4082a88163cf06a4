"""Architecture settings, stored as JSON beside every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ModelConfig:
    """A backbone of ``depth`` 3x3 conv layers of ``width`` channels and a linear head.

    ``out_width`` gives the last layer other channels than the rest: an SFSC sub-model
    keeps the full width's last layer so it pools as many features as the full model."""

    width: int = 32
    depth: int = 4
    embedding_dim: int = 128
    in_channels: int = 1
    image_size: int = 32
    out_width: int | None = None

    @property
    def last_width(self) -> int:
        return self.out_width or self.width

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> ModelConfig:
        return cls(**values)


OLD_MODEL = ModelConfig(width=32, depth=4)
NEW_MODEL = ModelConfig(width=64, depth=5)
