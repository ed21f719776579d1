"""The SIE-X Dagster code location: one folder per domain, merged in ``definitions.py``."""
