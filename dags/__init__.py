"""Airflow 3 DAG files, and the step factory and assets they share (importable as
``dags.steps`` and ``dags.assets`` wherever upgradeflow is installed)."""
