"""Training loops for the old and new embedding models."""
