"""The `done_when` checks: commands run in the sandbox and the built-in checks for prose and data."""
