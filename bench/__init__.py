"""Benchmarks and load scripts (not part of the installed package)."""
