"""A width-switchable CNN (SFSC, Wu et al., CVPR 2023): one set of weights whose first
channels form narrower sub-models, each with its own normalisation statistics (a
narrower layer sees differently distributed activations), and one shared head so every
width embeds into the same space.

``sub_model`` cuts out one width as a plain ``EmbeddingModel``, so a platform deploys
its capacity with the same checkpoint format, registry and gallery tools as any model.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from upgradeflow.errors import UserInputError
from upgradeflow.models.backbone import layer_strides
from upgradeflow.models.config import ModelConfig
from upgradeflow.models.embedder import EmbeddingModel

DEFAULT_WIDTHS = (1.0, 0.75, 0.5, 0.25)


def check_widths(widths: tuple[float, ...]) -> tuple[float, ...]:
    """Widths are fractions of the full width in (0, 1], strictly descending."""
    widths = tuple(float(w) for w in widths)
    if not widths:
        raise UserInputError("width list is empty")
    if any(not 0 < w <= 1 for w in widths):
        raise UserInputError(f"widths {list(widths)} must each lie in (0, 1]")
    if any(a <= b for a, b in itertools.pairwise(widths)):
        raise UserInputError(f"widths {list(widths)} must be strictly descending")
    return widths


def check_head_layout(private_heads: bool, full_width_output: bool) -> None:
    """Private heads read each width's own last-layer channels; a full-width output layer
    gives every width all of them, so the two cannot be combined."""
    if private_heads and full_width_output:
        raise UserInputError(
            "private heads need a sliced last layer (full_width_output=False): with a full-width "
            "output layer every width pools all channels, so the two exclude each other"
        )


def width_tag(width: float) -> str:
    """A width in file names, without a dot (checkpoints take their suffix from the
    name, so ``w0.5`` would be saved as ``w0.pt``): 0.5 is ``w050``."""
    return f"w{round(width * 100):03d}"


def channels(config: ModelConfig, width: float) -> int:
    return max(1, round(width * config.width))


class SwitchableEmbeddingModel(nn.Module):
    """``active`` selects the width used by ``forward``."""

    def __init__(
        self,
        config: ModelConfig,
        widths: tuple[float, ...] = DEFAULT_WIDTHS,
        private_heads: bool = False,
        full_width_output: bool = True,
    ) -> None:
        super().__init__()
        self.config = config
        self.widths = check_widths(widths)
        if len({channels(config, w) for w in self.widths}) != len(self.widths):
            raise UserInputError(f"widths {list(self.widths)} give duplicate channel counts at width {config.width}")
        check_head_layout(private_heads, full_width_output)
        # With ``full_width_output`` the last layer keeps all its channels at every width:
        # a sliced last layer confines a narrow width's embedding to a subspace of as many
        # dimensions as it has channels (16 of 128 at width 0.25), which a wide gallery
        # does not live in.
        self.full_width_output = full_width_output
        self.strides = layer_strides(config)
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        in_channels = config.in_channels
        for i, stride in enumerate(self.strides):
            self.convs.append(nn.Conv2d(in_channels, config.width, 3, stride=stride, padding=1, bias=False))
            self.norms.append(nn.ModuleList(nn.BatchNorm2d(self._out_channels(i, w)) for w in self.widths))
            in_channels = config.width
        self.head = nn.Linear(config.width, config.embedding_dim)
        # Each narrower width may get its own head (full width keeps ``head``): a head
        # costs width x embedding_dim weights, and a shared one must serve every width.
        self.private_heads = (
            nn.ModuleList(nn.Linear(channels(config, w), config.embedding_dim) for w in self.widths[1:])
            if private_heads
            else None
        )
        self.active = 0

    def _out_channels(self, layer: int, width: float) -> int:
        if self.full_width_output and layer == len(self.strides) - 1:
            return self.config.width
        return channels(self.config, width)

    def _head(self, index: int) -> tuple[Tensor, Tensor]:
        if self.private_heads is not None and index > 0:
            head = self.private_heads[index - 1]
            return head.weight, head.bias
        return self.head.weight[:, : self._out_channels(len(self.strides) - 1, self.widths[index])], self.head.bias

    def forward(self, images: Tensor) -> Tensor:
        width = self.widths[self.active]
        x = images
        in_channels = self.config.in_channels
        for i, (conv, norms, stride) in enumerate(zip(self.convs, self.norms, self.strides, strict=True)):
            out_channels = self._out_channels(i, width)
            x = F.conv2d(x, conv.weight[:out_channels, :in_channels], stride=stride, padding=1)
            x = F.relu(norms[self.active](x), inplace=True)
            in_channels = out_channels
        pooled = x.mean(dim=(2, 3))
        return F.normalize(F.linear(pooled, *self._head(self.active)), dim=1)

    def shared_parameters(self) -> list[nn.Parameter]:
        """Parameters every width uses (the conv and shared head weights); normalisation is per width."""
        return [conv.weight for conv in self.convs] + [self.head.weight, self.head.bias]

    @torch.no_grad()
    def sub_model(self, index: int) -> EmbeddingModel:
        width = self.widths[index]
        last = self._out_channels(len(self.strides) - 1, width)
        sub_config = replace(self.config, width=channels(self.config, width))
        model = EmbeddingModel(replace(sub_config, out_width=last) if last != sub_config.width else sub_config)
        in_channels = self.config.in_channels
        layers = [m for m in model.backbone.features if not isinstance(m, nn.ReLU)]
        for i, (conv, norms) in enumerate(zip(self.convs, self.norms, strict=True)):
            out_channels = self._out_channels(i, width)
            layers[2 * i].weight.copy_(conv.weight[:out_channels, :in_channels])
            layers[2 * i + 1].load_state_dict(norms[index].state_dict())
            in_channels = out_channels
        weight, bias = self._head(index)
        model.head.weight.copy_(weight)
        model.head.bias.copy_(bias)
        return model.eval()
