"""What a node sends back while it runs a row: the run it started, pieces of its journal, a refusal, the end."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WHOLE", "Chunk", "Ended", "Message", "Refused", "Started"]

WHOLE = -1
"""A chunk's offset when it carries a whole file that replaces the one before (run.json, task.yaml, messages)."""


@dataclass(frozen=True)
class Started:
    """The node's `interns run` opened its journal."""

    run_id: str
    node: str


@dataclass(frozen=True)
class Chunk:
    """Bytes of one file of the run's directory: appended at `offset` (events.jsonl), or the whole file (`WHOLE`)."""

    run_id: str
    path: str
    """Relative to the run's directory, with '/' between parts."""
    offset: int
    data: bytes


@dataclass(frozen=True)
class Refused:
    """The node cannot run the row as the task asks (its sandbox backend is missing); nothing ran."""

    node: str
    node_id: str
    reason: str


@dataclass(frozen=True)
class Ended:
    """The node's `interns run` ended with this exit code; `log_tail` is the end of what it printed."""

    exit_code: int
    log_tail: str


Message = Started | Chunk | Refused | Ended
