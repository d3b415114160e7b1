"""The human gate: a person accepts a run (its work lands), rejects it (its branches go), or sends it back."""

from __future__ import annotations

import getpass
import json
import os
import socket
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from interns.agents.gate.visible import visible
from interns.errors import RunError
from interns.journal.header import RunHeader
from interns.journal.layout import REVIEW_FILE
from interns.journal.store import RunStore

if TYPE_CHECKING:
    from interns.journal.events import RunStarted

__all__ = [
    "GateError",
    "ReviewDecision",
    "accept",
    "copy_outputs",
    "decision_of",
    "ensure_undecided",
    "reject",
    "run_started",
]


class GateError(RunError):
    """The decision cannot be carried out; the message says why and what to do."""


@dataclass(frozen=True)
class ReviewDecision:
    """What a person decided about a run, and when."""

    decision: Literal["accepted", "rejected", "retried"]
    note: str = ""
    detail: str = ""
    minutes: float | None = None
    """How long the person's review took, for `interns stats`."""
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    by: str = "terminal"
    """Where the decision was made: `terminal`, `viewer`, or `no one` (a task with `review.human: false`)."""
    user: str = field(default_factory=getpass.getuser)
    """Who made it: the user name of the process that recorded it."""
    host: str = field(default_factory=socket.gethostname)
    """On which machine."""


def decision_of(run_dir: Path) -> ReviewDecision | None:
    """The decision already made about the run in `run_dir`, if any."""
    path = run_dir / REVIEW_FILE
    if not path.exists():
        return None
    return ReviewDecision(**json.loads(path.read_text(encoding="utf-8")))


def _record(run_dir: Path, decision: ReviewDecision) -> ReviewDecision:
    fd, tmp = tempfile.mkstemp(dir=run_dir, prefix=".review-")
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump(asdict(decision), file, indent=2)
    os.replace(tmp, run_dir / REVIEW_FILE)
    return decision


def run_started(store: RunStore, run_id: str) -> RunStarted:
    """The run's first event, which names its workspace, base branch and task file."""
    from interns.journal.events import RunStarted

    for event in store.events(run_id):
        if isinstance(event, RunStarted):
            return event
        break
    raise GateError(f"run {run_id} has no run_started event; its journal is damaged")


def ensure_undecided(store: RunStore, header: RunHeader) -> Path:
    """The run's folder, if the run has finished and no one has decided about it yet; else a GateError."""
    run_dir = store.dir(header.run_id)
    if header.status in ("running", "interrupted"):
        raise GateError(f"run {header.run_id} is {header.status}; only a finished run can be reviewed")
    if (earlier := decision_of(run_dir)) is not None:
        raise GateError(f"run {header.run_id} was already {earlier.decision} at {earlier.at}")
    return run_dir


def accept(
    store: RunStore,
    header: RunHeader,
    note: str = "",
    *,
    force: bool = False,
    minutes: float | None = None,
    by: str = "terminal",
) -> ReviewDecision:
    """Land the run's work: merge its branch into the base branch, copy its outputs to where the task sends them,
    or put its worked copy's changes into the folder it copied. `force` lets outputs replace different files there.

    Either the target then holds exactly what the run made, or nothing changed, a GateError says why, and the run
    can be accepted later. Only a landed run is recorded as accepted.
    """
    from interns.sandbox.git.gate import accept_run  # GitPython, loaded only to land work
    from interns.sandbox.git.repo import GitRunError, run_branch

    run_dir = ensure_undecided(store, header)
    if header.status != "succeeded":
        raise GateError(f"run {header.run_id} {header.status}; only a run that succeeded can be accepted")
    started = run_started(store, header.run_id)
    workspace = Path(started.workspace)
    if started.base_branch is None and not (run_dir / "workspace").is_dir():
        raise GateError(f"the run's base was not a branch; merge {run_branch(header.run_id)} in {workspace} yourself")
    if started.base_branch is not None:
        try:
            outcome = accept_run(workspace, header.run_id, started.base_branch)
        except GitRunError as exc:
            raise GateError(str(exc)) from None
        detail = f"{outcome.how} of {outcome.base_branch} in {workspace} to {outcome.new_commit[:12]}"
    else:
        try:
            if started.outputs_to is not None:
                detail = copy_outputs(run_dir, workspace, Path(started.outputs_to), started.outputs_files, force=force)
            else:
                detail = _land_in_folder(run_dir, workspace)
        except OSError as exc:  # reading the worked copy or the folder failed: nothing was written
            raise GateError(f"Cannot accept run {header.run_id}: {exc}. Nothing was changed.") from None
    return _record(run_dir, ReviewDecision("accepted", note, detail, minutes, by=by))


def copy_outputs(run_dir: Path, source: Path, dest: Path, patterns: list[str], *, force: bool = False) -> str:
    """Copy the regular files the run made or changed that match `patterns` from its worked copy to `dest`.

    A file already at `dest` with other content is a person's work: without `force` nothing is copied.
    """
    from interns.agents.gate.files import LandingError  # the landing code loads only to land work
    from interns.agents.gate.outputs import copy_to, find_outputs, plan_copy

    found = find_outputs(run_dir / "workspace", source, patterns)
    left_out = f"; left out (only regular files are copied): {_named(found.left_out)}" if found.left_out else ""
    if not found.files:
        return f"nothing to copy: the run made no file matching {', '.join(patterns)}{left_out}"
    changes, clashes = plan_copy(found, dest)
    if clashes and not force:
        listed = "\n  ".join(str(dest / p) for p in clashes)
        raise GateError(f"these files already exist with other content:\n  {listed}\nuse --force to replace them")
    try:
        copy_to(dest, changes)
    except LandingError as exc:
        raise GateError(f"{exc}\nNothing was copied; the run can be accepted again once that is fixed.") from None
    copied = [rel for rel, _ in found.files]
    return f"copied {len(copied)} output file(s) to {dest}: {_named(copied)}{left_out}"


def _named(paths: list[str]) -> str:
    """File names a run made, on one line each, their control characters and line breaks made visible."""
    return ", ".join(visible(path, one_line=True) for path in paths)


def _land_in_folder(run_dir: Path, folder: Path) -> str:
    """Put the run's changes from its worked copy into the folder it copied, if the folder still has those files
    as the run found them."""
    from interns.agents.gate.files import LandingError, land  # the landing code loads only to land work
    from interns.agents.gate.folder_result import folder_result
    from interns.agents.runtime.workspaces import START_SNAPSHOT
    from interns.sandbox.workspace.snapshot import Snapshot

    work, start = run_dir / "workspace", run_dir / START_SNAPSHOT
    if not start.is_file():
        raise GateError(
            f"the run kept no record of what it started from (an older run), so what it changed cannot be told from "
            f"what changed in {folder} since; copy what you want from {work} yourself."
        )
    result = folder_result(work, folder, Snapshot.load(start))
    problems = []
    if result.changed_since:
        problems.append(f"changed since the run started: {_named(result.changed_since)}")
    if result.not_files:
        problems.append(f"are not regular files an accept can land: {_named(result.not_files)}")
    if problems:
        raise GateError(
            f"Cannot accept: these files in {folder} " + "; ".join(problems) + ".\nNothing was changed. "
            f"The run's worked copy is in {work}; accept again once {folder} is as the run found it, or copy what you "
            "want from the worked copy yourself."
        )
    left = f"; left as you have them, not the run's changes: {_named(result.left)}" if result.left else ""
    if not result.changes:
        return f"nothing to change: {folder} already holds what the run made{left}"
    try:
        land(folder, result.changes)
    except LandingError as exc:
        raise GateError(f"Cannot accept: {exc}\nNothing was changed. The run's worked copy is in {work}.") from None
    names = [change.rel for change in result.changes]
    return f"put the run's changes into {folder}: {_named(names)}{left}"


def reject(
    store: RunStore,
    header: RunHeader,
    note: str,
    *,
    retried_as: str = "",
    minutes: float | None = None,
    by: str = "terminal",
) -> ReviewDecision:
    """Record a rejection with its note; for a repository, delete the run's branches."""
    from interns.sandbox.git.gate import reject_run  # GitPython, loaded only to delete branches
    from interns.sandbox.git.repo import GitRunError

    run_dir = ensure_undecided(store, header)
    started = run_started(store, header.run_id)
    detail = ""
    if started.base_branch is not None or not (run_dir / "workspace").is_dir():
        try:
            deleted = reject_run(Path(started.workspace), header.run_id)
        except GitRunError as exc:
            raise GateError(str(exc)) from None
        detail = f"deleted {', '.join(deleted)}" if deleted else "no branches were left"
    kind: Literal["rejected", "retried"] = "retried" if retried_as else "rejected"
    if retried_as:
        detail = f"retried as {retried_as}; {detail}".rstrip("; ")
    return _record(run_dir, ReviewDecision(kind, note, detail, minutes, by=by))
