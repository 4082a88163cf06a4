"""One thin command line per pipeline step (``python -m tasks.<step> --...``).

Each step reads and writes only object-storage and MLflow URIs, prints one JSON line
with its result, and is idempotent: a re-run finds finished work and reports it.
"""
