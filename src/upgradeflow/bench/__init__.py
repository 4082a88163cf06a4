"""Benchmarks behind ``upgradeflow bench``."""
