"""The actions a viewer may offer, carried out by whoever starts the viewer: a person's review (accept, reject,
retry) of a run that ended, and their answers (approve, deny) to a run that paused, and going on with it (resume)."""

from __future__ import annotations

from typing import Protocol

from interns.errors import RunError


class ActionRefused(RunError):
    """An action that could not be carried out; the message says why, and is shown to the person."""


class ReviewActions(Protocol):
    """What `interns review`, `approve` and `resume` do with a run, offered to the viewer without it knowing how.

    Each method returns a message for the person, or raises `ActionRefused` with one.
    """

    def accept(self, run_id: str) -> str:
        """Land the run's work."""
        ...

    def reject(self, run_id: str, note: str) -> str:
        """Reject the run, saying why."""
        ...

    def retry(self, run_id: str, note: str) -> str:
        """Run the task again with the note as feedback for its workers."""
        ...

    def approve(self, run_id: str, call: str | None) -> str:
        """Say yes to the request `call` the paused run waits on (None: to every one)."""
        ...

    def deny(self, run_id: str, reason: str, call: str | None) -> str:
        """Say no to the request `call` (None: to every one), saying why; the worker is told."""
        ...

    def resume(self, run_id: str) -> str:
        """Go on with the run that paused, was interrupted or was cancelled, in the background."""
        ...
