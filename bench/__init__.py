"""Benchmarks of the simulation engine and the offline model (``python -m bench [--json]``)."""
