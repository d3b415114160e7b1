"""How the terminal colours a run's or a step's status, the same in every command."""

from __future__ import annotations

__all__ = ["STATUS_STYLE"]

STATUS_STYLE = {
    "succeeded": "bold green",
    "failed": "bold red",
    "limit_exceeded": "bold yellow",
    "cancelled": "bold magenta",
    "running": "bold cyan",
    "interrupted": "bold magenta",
    "awaiting_approval": "bold yellow",
    "skipped": "dim",
}
