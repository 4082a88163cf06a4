"""A pretrained backbone with a trained compatible head: the new model of an upgrade.

Described by a small JSON file beside the head's checkpoint, so a registry package, a
pipeline step and a query service all load it the same way:

    {"format": "upgradeflow.headed_encoder/1", "backbone": "KIND:LOCATION?...", "head": "head.pt"}

A relative backbone location or head path is read from the JSON file's folder, which is
what lets a registry package carry the backbone's weights with it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from upgradeflow.encoders.base import Encoder, fingerprint
from upgradeflow.errors import UserInputError, one_line
from upgradeflow.models.adapter import MLPAdapter, adapter_digest, apply_adapter, load_adapter

FORMAT = "upgradeflow.headed_encoder/1"
DESCRIPTION = "encoder.json"


class HeadedEncoder(Encoder):
    kind = "headed"

    def __init__(self, backbone: Encoder, head: MLPAdapter, source: str, head_digest: str) -> None:
        if head.config.in_dim != backbone.dimension:
            raise UserInputError(
                f"{source}: the head takes {head.config.in_dim}-d features, the backbone gives {backbone.dimension}-d"
            )
        self.backbone, self.head = backbone, head
        self.modality = backbone.modality
        self.dimension = head.config.out_dim
        self.source = source
        self.preprocessing = {"backbone": backbone.describe(), "head": {"in": head.config.in_dim,
                              "out": head.config.out_dim, "depth": head.config.depth}}  # fmt: skip
        self.files = backbone.files
        self.fingerprint = fingerprint([], Path("."), {"backbone": backbone.fingerprint, "head": head_digest})

    def _embed(self, items: Sequence) -> np.ndarray:
        return apply_adapter(self.head, self.backbone.encode(items))


def write_description(directory: str | Path, backbone: str, head: str = "head.pt") -> Path:
    """The JSON file naming a backbone (an encoder reference) and a head checkpoint."""
    path = Path(directory) / DESCRIPTION
    document = {"format": FORMAT, "backbone": backbone, "head": head}
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def load_headed(description: Path) -> HeadedEncoder:
    from upgradeflow.encoders.spec import load_encoder

    if description.is_dir():
        description = description / DESCRIPTION
    try:
        document = json.loads(description.read_text())
        if document.get("format") != FORMAT:
            raise ValueError(f"format {document.get('format')!r}, expected {FORMAT}")
        backbone, head = str(document["backbone"]), Path(document["head"])
    except (OSError, ValueError, KeyError, AttributeError) as error:
        raise UserInputError(f"{description}: not a headed encoder description ({one_line(error)})") from None
    head = head if head.is_absolute() else description.parent / head
    return HeadedEncoder(
        load_encoder(backbone, relative_to=description.parent),
        load_adapter(head),
        str(description),
        adapter_digest(head),
    )
