"""What workers act on (a folder copy, a git worktree, a view over read-only inputs) and what they changed in it."""
