"""`python -m interns` runs the `interns` command line."""

from interns.agents.cli.app import main

main()
