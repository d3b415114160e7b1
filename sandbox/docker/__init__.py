"""The docker backend: one container per step, its commands, the engine, cleanup and the worker image."""
