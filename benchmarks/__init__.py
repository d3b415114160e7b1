"""Benchmarks of the runtime against raw floors and a peer agent; `python -m benchmarks` runs them all."""
