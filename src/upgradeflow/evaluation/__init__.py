"""Retrieval evaluation: ranks, metrics, the cross-model matrix, reports."""
