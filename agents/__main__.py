"""`python -m agents` runs the `interns` command line."""

from agents.cli import main

main()
