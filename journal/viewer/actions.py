"""The review actions a viewer may offer: accept, reject and retry, carried out by whoever starts the viewer."""

from __future__ import annotations

from typing import Protocol

from interns.errors import RunError


class ActionRefused(RunError):
    """A review action that could not be carried out; the message says why, and is shown to the person."""


class ReviewActions(Protocol):
    """What `interns review` does with a run, offered to the viewer without the viewer knowing how it is done.

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
