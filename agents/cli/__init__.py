"""The `interns` command line and its terminal renderers: the top layer, which nothing imports."""
