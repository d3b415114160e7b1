"""The benchmarks' smoke tests share the suite's settings (tests/conftest.py); nothing more is needed here."""
