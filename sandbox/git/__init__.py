"""Git for repo tasks: step branches and commits, merging into the run branch, resuming, the accept gate."""
