"""Datasets: the glyph benchmark, Fashion-MNIST and a user's own images."""
