"""FAISS indexes over gallery embeddings."""
