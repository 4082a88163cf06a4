"""Embedding models: CNN backbones, the embedding head and the cosine classifier."""
