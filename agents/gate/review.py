"""The human gate: a person accepts a run (its work lands), rejects it (its branches go), or sends it back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from interns.agents.policy.globs import matches
from interns.journal import RunHeader, RunStarted, RunStore
from interns.journal.run import REVIEW_FILE
from interns.sandbox import InputView
from interns.sandbox.workspace.changes import list_changes, run_baseline
from interns.sandbox.workspace.tree_scan import TreeTooLarge

__all__ = [
    "Decision",
    "GateError",
    "accept",
    "copy_outputs",
    "decision_of",
    "ensure_undecided",
    "reject",
    "run_started",
]


class GateError(Exception):
    """The decision cannot be carried out; the message says why and what to do."""


@dataclass(frozen=True)
class Decision:
    """What a person decided about a run, and when."""

    decision: Literal["accepted", "rejected", "retried"]
    note: str = ""
    detail: str = ""
    minutes: float | None = None
    """How long the person's review took, for `interns stats`."""
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


def decision_of(run_dir: Path) -> Decision | None:
    """The decision already made about the run in `run_dir`, if any."""
    path = run_dir / REVIEW_FILE
    if not path.exists():
        return None
    return Decision(**json.loads(path.read_text(encoding="utf-8")))


def _record(run_dir: Path, decision: Decision) -> Decision:
    fd, tmp = tempfile.mkstemp(dir=run_dir, prefix=".review-")
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump(asdict(decision), file, indent=2)
    os.replace(tmp, run_dir / REVIEW_FILE)
    return decision


def run_started(store: RunStore, run_id: str) -> RunStarted:
    """The run's first event, which names its workspace, base branch and task file."""
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
    store: RunStore, header: RunHeader, note: str = "", *, force: bool = False, minutes: float | None = None
) -> Decision:
    """Land the run's work: merge its branch into the base branch, copy its outputs to where the task sends them,
    or apply its diff to the folder it copied. `force` lets outputs replace different files already there."""
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
    elif started.outputs_to is not None:
        detail = copy_outputs(run_dir, Path(started.outputs_to), started.outputs_files, force=force, source=workspace)
    else:
        detail = _apply_to_folder(run_dir / "final.diff", workspace)
    return _record(run_dir, Decision("accepted", note, detail, minutes))


def copy_outputs(run_dir: Path, dest: Path, patterns: list[str], *, force: bool = False, source: Path) -> str:
    """Copy the files the run added or changed that match `patterns` from its worked copy to `dest`.

    What the run changed is read from the file system: each file of the worked copy that the input folder
    (`source`) does not hold as it is. A file already at `dest` with other content is a person's work: without
    `force` nothing is copied.
    """
    view = InputView(source=source.resolve(), path=(run_dir / "workspace").resolve())
    try:
        changes = list_changes(run_baseline(view), view)
    except (TreeTooLarge, OSError) as exc:
        raise GateError(f"the run's outputs cannot be read: {exc}") from None
    work = view.path
    changed = [c.path for c in changes if c.new is not None and c.new.type == "file"]
    outputs = [p for p in changed if matches(p, patterns) is not None]
    if not outputs:
        return f"nothing to copy: the run made no file matching {', '.join(patterns)}"
    clashes = [p for p in outputs if (dest / p).exists() and (dest / p).read_bytes() != (work / p).read_bytes()]
    if clashes and not force:
        listed = "\n  ".join(str(dest / p) for p in clashes)
        raise GateError(f"these files already exist with other content:\n  {listed}\nuse --force to replace them")
    for path in outputs:
        (dest / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work / path, dest / path)
    return f"copied {len(outputs)} output file(s) to {dest}: {', '.join(outputs)}"


def _apply_to_folder(diff: Path, folder: Path) -> str:
    """Apply a run's diff to the original folder, only if it applies cleanly to what is there now."""
    if not diff.exists() or not diff.read_text(encoding="utf-8").strip():
        return f"nothing to apply: the run changed nothing in {folder}"
    check = subprocess.run(["git", "apply", "--check", str(diff)], cwd=folder, capture_output=True, text=True)
    if check.returncode != 0:
        raise GateError(
            f"the run's changes no longer apply to {folder} (it changed since the run started?):\n"
            f"{check.stderr.strip()}\nThe worked copy is in {diff.parent / 'workspace'}."
        )
    subprocess.run(["git", "apply", str(diff)], cwd=folder, check=True, capture_output=True)
    return f"applied the run's diff to {folder}"


def reject(
    store: RunStore, header: RunHeader, note: str, *, retried_as: str = "", minutes: float | None = None
) -> Decision:
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
    return _record(run_dir, Decision(kind, note, detail, minutes))
