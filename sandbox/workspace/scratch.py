"""A throwaway copy of a workspace, for the supervisor's checks: whatever a check runs, nothing it writes lands.

A `done_when` command runs the worker's code (its tests import the worker's modules), and that code can rewrite a
protected file or swap an output for a link while the check runs, after the step's changes were judged. So checks
run on a copy made just after the judgement, and the copy is removed after them: the work that lands is exactly
the work that was judged.
"""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from interns.errors import RunError
from interns.sandbox.workspace.input_view import InputView

__all__ = ["ScratchCopy", "ScratchError", "make_scratch_copy"]


class ScratchError(RunError):
    """The workspace could not be copied for the checks; the message says why."""


@dataclass(frozen=True)
class ScratchCopy:
    """A copy of a workspace at `path`, with the read-only inputs of the view it was made from, if any."""

    path: Path
    inputs: tuple[tuple[Path, str], ...] = ()

    def read_only(self) -> tuple[tuple[Path, str], ...]:
        """The (host path, sandbox path) binds a sandbox over the copy shows read-only, as over the original."""
        return self.inputs

    def remove(self) -> None:
        """Remove the copy, whatever a check left in it: folders it made unwritable included."""
        if not self.path.exists():
            return
        # coreutils walk iteratively: a tree nested deeper than Python's recursion limit goes too.
        subprocess.run(["chmod", "-R", "u+rwX", "--", str(self.path)], capture_output=True, check=False)
        subprocess.run(["rm", "-rf", "--", str(self.path)], capture_output=True, check=False)


def make_scratch_copy(workspace: Path, view: InputView | None = None) -> ScratchCopy:
    """Copy the workspace next to itself: links copied as links, special files as they are, nothing followed."""
    copy = workspace.parent / f".checks-{workspace.name}-{uuid.uuid4().hex[:8]}"
    # cp -a copies links as links and fifos as fifos without opening them; --reflink=auto shares blocks where the
    # file system can, so a large workspace costs little.
    done = subprocess.run(
        ["cp", "-a", "--reflink=auto", "--no-target-directory", "--", str(workspace), str(copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    scratch = ScratchCopy(copy, view.read_only() if view is not None else ())
    if done.returncode != 0:
        scratch.remove()
        raise ScratchError(f"the workspace could not be copied for the checks: {done.stderr.strip()[:500]}")
    return scratch
