"""What the command-line tests share."""

from __future__ import annotations


def files_under(path) -> dict[str, bytes]:
    """Every file below ``path`` with its bytes: a refused command must leave this unchanged."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}
