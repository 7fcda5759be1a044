"""Fuzz inputs and targets shared by tests/faults/test_fuzz.py and benchmarks/fuzz.py."""
