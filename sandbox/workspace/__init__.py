"""What workers act on: a folder copy or a git worktree, a view over read-only inputs, tree diffs."""
