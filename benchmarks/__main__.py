"""`python -m benchmarks`: run the harness."""

from benchmarks.run import main

main()
