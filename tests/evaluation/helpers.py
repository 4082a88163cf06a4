"""Reading back the plots the evaluation writes."""

from __future__ import annotations

from pathlib import Path

from PIL import Image


def png_size(path: Path) -> tuple[int, int]:
    """The size of the PNG at ``path``, which must be the only file in its folder: plots
    are written atomically, so no temporary file may be left beside them."""
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    with Image.open(path) as image:
        assert image.format == "PNG"
        image.load()  # the whole file decodes, not only its header
        return image.size
