"""One run: the supervisor, its steps on a DAG, their workspaces, the plan, the review, resuming."""
