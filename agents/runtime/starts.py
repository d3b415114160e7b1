"""How a run begins: fresh (new, or a retry with a person's note) or resumed from its journal.

The supervisor is handed one of these and asks it where the journal and the workspaces come from, which steps to
run, and which of them are already done, so the mode is decided once, by what the caller gave it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from interns.journal import BatchLink
from interns.journal.header import ParamValue
from interns.tasks import Step, TaskSpec

if TYPE_CHECKING:
    # Types only: a run's start is decided, and journaled, before the workspaces and the worker are loaded.
    from interns.agents.runtime.resume import ResumePoint
    from interns.agents.runtime.step_runner import PausedStep, StepResult
    from interns.agents.runtime.workspaces import FolderSpace, RepoSpace
    from interns.sandbox.workspace.snapshot import Snapshot

__all__ = ["ApprovePlan", "Fresh", "Progress", "Resumed", "RunStart"]

ApprovePlan = Callable[[list[Step]], Awaitable[bool]]
"""Shows a plan to a person and says whether they approved it."""


@dataclass(frozen=True)
class Progress:
    """What a run already has when its steps start: finished steps, paused ones, and where cut-off ones began."""

    done: dict[str, StepResult] = field(default_factory=dict)
    paused: dict[str, PausedStep] = field(default_factory=dict)
    cut_off: dict[str, Snapshot | None] = field(default_factory=dict)


class RunStart(Protocol):
    """Where a run's journal, workspaces and steps come from."""

    @property
    def feedback(self) -> str:
        """A person's note to every worker."""
        ...

    @property
    def retry_of(self) -> str | None:
        """The run this one retries."""
        ...

    @property
    def replay_of(self) -> str | None:
        """The run whose recorded turns this one plays again."""
        ...

    @property
    def plan_only(self) -> bool:
        """Whether the run stops once it has a plan."""
        ...

    @property
    def params(self) -> Mapping[str, ParamValue]:
        """The task's parameter values, recorded in a new run's header."""
        ...

    @property
    def batch(self) -> BatchLink | None:
        """The batch row a new run is, recorded in its header."""
        ...

    @property
    def approve_plan(self) -> ApprovePlan | None:
        """Who approves the plan before any step runs."""
        ...

    @property
    def resumed(self) -> ResumePoint | None:
        """The point a resumed run goes on from; None for a fresh run."""
        ...

    def open_space(self, spec: TaskSpec, run_id: str, run_dir: Path) -> FolderSpace | RepoSpace:
        """The run's workspaces: new ones, or the ones the stopped run left."""
        ...

    def progress(self) -> Progress:
        """The steps that need not run again."""
        ...


@dataclass(frozen=True)
class Fresh:
    """A new run; with `retry_of` and `feedback`, a retry of an earlier run with a person's note."""

    feedback: str = ""
    """A person's note to every worker (a retry's reason)."""
    retry_of: str | None = None
    """The run this one retries."""
    replay_of: str | None = None
    """The run whose recorded model turns this one plays again."""
    plan_only: bool = False
    """Write the plan and stop before any step runs."""
    approve_plan: ApprovePlan | None = None
    """Ask a person to approve the plan before any step runs."""
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    """The task's parameter values, as the loaded task used them."""
    batch: BatchLink | None = None
    """The batch row this run is."""

    @property
    def resumed(self) -> ResumePoint | None:
        """A fresh run goes on from nothing."""
        return None

    def open_space(self, spec: TaskSpec, run_id: str, run_dir: Path) -> FolderSpace | RepoSpace:
        """New workspaces for the run."""
        from interns.agents.runtime.workspaces import open_space

        return open_space(spec, run_id, run_dir)

    def progress(self) -> Progress:
        """Nothing is done yet."""
        return Progress()


@dataclass(frozen=True)
class Resumed:
    """A run that stopped (paused for approval, killed, cancelled, or asked to go on from a step) going on."""

    point: ResumePoint
    """Where the stopped run goes on, read from its journal."""
    feedback: str = ""
    retry_of: str | None = None
    replay_of: str | None = None
    plan_only: bool = False
    approve_plan: ApprovePlan | None = None  # a resumed run keeps the plan it has
    params: Mapping[str, ParamValue] = field(default_factory=dict)  # a resumed run keeps its header
    batch: BatchLink | None = None

    @property
    def resumed(self) -> ResumePoint:
        """Where the run goes on from."""
        return self.point

    def open_space(self, spec: TaskSpec, run_id: str, run_dir: Path) -> FolderSpace | RepoSpace:
        """The workspaces the stopped run left, reopened."""
        from interns.agents.runtime.workspaces import reopen_space

        return reopen_space(spec, run_id, run_dir, self.point.header.git_commit)

    def progress(self) -> Progress:
        """The steps that finished, those that paused, and where each cut-off step first started."""
        point = self.point
        return Progress(dict(point.done), dict(point.paused), dict(point.cut_off))
