"""Load the embedding model a command names, from the registry or a checkpoint: the query
service, the backfill and the command line all take either, and none of them should need
MLflow unless the name is a registry one."""

from __future__ import annotations

from pathlib import Path

from upgradeflow.models.embedder import EmbeddingModel


def load_embedding_model(uri: str) -> EmbeddingModel:
    """``models:/NAME@ALIAS``, ``models:/NAME/VERSION`` or a checkpoint (.pt beside .json)."""
    if uri.startswith("models:/"):
        from upgradeflow.registry.versions import load_package, resolve

        return load_package(resolve(uri)).model
    from upgradeflow.models.checkpoint import load_model

    return load_model(Path(uri))
