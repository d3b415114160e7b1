"""The bubblewrap backend: its sandbox and the bwrap command line."""
