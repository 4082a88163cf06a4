"""The upgrade lifecycle's library side: what each pipeline step computes."""
