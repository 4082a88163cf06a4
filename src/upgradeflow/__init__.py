"""upgradeflow: upgrade the embedding model of a retrieval system without re-extracting
the gallery first."""

__version__ = "0.1.0"
