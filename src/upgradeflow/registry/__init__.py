"""MLflow: the model registry, lineage and the champion/challenger aliases."""
