"""A self-contained copy of a new model: the backbone's files, the head, and the
``encoder.json`` that names them, all in one folder.

A registry package built from it loads on a worker that has neither the registry
package the backbone came from nor the training machine's paths: every location in it
is relative to the folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from upgradeflow.encoders.base import Encoder
from upgradeflow.encoders.headed import DESCRIPTION, write_description
from upgradeflow.models.adapter import MLPAdapter, save_adapter

BACKBONE = "backbone"
HEAD = "head.pt"


def _copy(file: Path, root: Path, target: Path) -> Path:
    relative = file.relative_to(root) if file.is_relative_to(root) else Path(file.name)
    destination = target / relative
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(file, destination)
    return destination


def package_backbone(encoder: Encoder, reference: str, directory: Path) -> str:
    """Copy ``encoder``'s files under ``directory/backbone``; the reference that loads the
    copy, relative to ``directory``."""
    kind, _, rest = reference.partition(":")
    _, _, query = rest.partition("?")
    source = Path(encoder.source)
    root = source if source.is_dir() else source.parent
    target = directory / BACKBONE
    copies = {file: _copy(file, root, target) for file in encoder.files}
    location = BACKBONE if source.is_dir() else copies[source].relative_to(directory).as_posix()
    options = dict(parse_qsl(query))
    if "tokenizer" in options:  # the one option that names a file
        options["tokenizer"] = copies[encoder.tokenizer_path].relative_to(directory).as_posix()
    return f"{kind}:{location}" + (f"?{urlencode(options, safe='/:')}" if options else "")


def package_headed(backbone: Encoder, reference: str, head: MLPAdapter, directory: str | Path) -> Path:
    """Write the backbone's files, the head and ``encoder.json``; returns its path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    local_reference = package_backbone(backbone, reference, directory)
    save_adapter(head, directory / HEAD, {"backbone": backbone.describe()})
    write_description(directory, local_reference, HEAD)
    return directory / DESCRIPTION
