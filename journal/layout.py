"""Where a run's files are: the names of the journal's folders and files under its root."""

from __future__ import annotations

__all__ = ["DIFF_FILE", "EVENTS_FILE", "INDEX_FILE", "MESSAGES_DIR", "REVIEW_FILE", "RUNS_DIR", "TASK_FILE"]

RUNS_DIR = "runs"
INDEX_FILE = "index.db"
EVENTS_FILE = "events.jsonl"
TASK_FILE = "task.yaml"
DIFF_FILE = "final.diff"
MESSAGES_DIR = "messages"
REVIEW_FILE = "review.json"
"""A person's decision about a run (`interns review`), written beside its journal."""
