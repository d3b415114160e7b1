"""Where a stopped run goes on, read from its journal: the plan, the steps it finished, those paused for approval."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter

from interns.agents.runtime.step_runner import PausedStep, StepResult, snapshot_file
from interns.errors import RunError
from interns.journal import (
    ApprovalAnswered,
    ApprovalRequested,
    ContextCompacted,
    PlanMade,
    RunHeader,
    RunStarted,
    RunStore,
    StepFinished,
    StepStarted,
)
from interns.journal.run import messages_file
from interns.sandbox.workspace.snapshot import Snapshot
from interns.tasks import Step

__all__ = ["BASELINES_DIR", "RESUMABLE", "CannotResume", "ResumePoint", "resume_point"]

RESUMABLE = ("awaiting_approval", "interrupted", "cancelled")
"""The statuses a run can be resumed from."""
BASELINES_DIR = "baselines"
"""Where, in a run's directory, each step's starting snapshot is kept for its judgement and a resume."""


class CannotResume(RunError):
    """The run cannot go on; the message says why and what to do."""


@dataclass
class ResumePoint:
    """A stopped run as its journal left it."""

    header: RunHeader
    started: RunStarted
    plan: list[Step]
    done: dict[str, StepResult] = field(default_factory=dict)
    """Steps that succeeded: not run again."""
    paused: dict[str, PausedStep] = field(default_factory=dict)
    """Steps that paused for approval, with the answers given: they go on where they stopped."""
    waiting: list[ApprovalRequested] = field(default_factory=list)
    """Requests no one has answered yet."""
    from_step: str | None = None
    """The step a person chose to go on from, its output kept as it is now."""
    cut_off: dict[str, Snapshot | None] = field(default_factory=dict)
    """Steps that started and never finished, with the snapshot they started from: they start again, judged on it."""
    by: str = "terminal"
    """Where the person who asked the run to go on did so: `terminal` or `viewer`."""

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.header.run_id


@dataclass
class _StepTrail:
    """What the journal says of one step since its latest start."""

    attempt: int = 0
    finished: StepFinished | None = None
    requests: list[ApprovalRequested] = field(default_factory=list)
    compacted: ContextCompacted | None = None
    """The latest summary of the step's older turns."""


def resume_point(store: RunStore, ref: str, from_step: str | None = None) -> ResumePoint:
    """Read run `ref`'s journal into the point it resumes from; `CannotResume` if it finished or is still going.

    With `from_step`, any run that is not going can go on: that step's output is kept as it is now (a person may
    have edited it), and every step that needs it, directly or not, runs again.
    """
    header = store.load(ref)
    if from_step is None and header.status not in RESUMABLE:
        raise CannotResume(
            f"run {header.run_id} is {header.status}; only a run that is awaiting_approval, interrupted or "
            "cancelled can be resumed (or name a step to go on from with --from STEP)"
        )
    if header.status == "running":
        raise CannotResume(f"run {header.run_id} is still going")
    started, plan = None, None
    trails: dict[str, _StepTrail] = {}
    answers: dict[str, ApprovalAnswered] = {}
    for event in store.events(header.run_id):
        if isinstance(event, RunStarted):
            started = event
        elif isinstance(event, PlanMade):
            plan = [Step.model_validate(step) for step in event.steps]
        elif isinstance(event, StepStarted) and event.step:
            # A later attempt, or one going on after a pause, has the same conversation, and so the same summary.
            same = event.step in trails and (event.resumed or event.attempt > 1)
            kept = trails[event.step].compacted if same else None
            trails[event.step] = _StepTrail(attempt=event.attempt, compacted=kept)
        elif isinstance(event, ContextCompacted) and event.step in trails:
            trails[event.step].compacted = event
        elif isinstance(event, StepFinished) and event.step in trails:
            trails[event.step].finished = event
        elif isinstance(event, ApprovalRequested) and event.step in trails:
            trails[event.step].requests.append(event)
        elif isinstance(event, ApprovalAnswered):
            answers[event.call_id] = event
    if started is None or plan is None:
        raise CannotResume(f"run {header.run_id} stopped before it had a plan; start it again with `interns run`")
    point = ResumePoint(header, started, plan, from_step=from_step)
    run_dir = store.dir(header.run_id)
    if from_step is not None:
        return _going_on_from(point, from_step, trails)
    for step, trail in trails.items():
        status = trail.finished.status if trail.finished else None
        if status == "succeeded" and trail.finished is not None:
            point.done[step] = StepResult(step, "succeeded", trail.attempt, summary=trail.finished.summary)
        elif status is None or status == "cancelled":
            # A folder's cut-off step starts again on the work it left: judged against where it first started.
            point.cut_off[step] = _baseline(run_dir, step, needed=header.git_commit is None)
        elif status == "awaiting_approval" and header.status == "awaiting_approval":
            point.waiting += [r for r in trail.requests if r.call_id not in answers]
            point.paused[step] = PausedStep(
                attempt=trail.attempt,
                messages=_messages(run_dir, step),
                answers=[(r, answers[r.call_id]) for r in trail.requests if r.call_id in answers],
                baseline=_baseline(run_dir, step, needed=True),
                compacted=trail.compacted,
            )
    return point


def _messages(run_dir: Path, step: str) -> list[ModelMessage]:
    path = messages_file(run_dir, step)
    try:
        return list(ModelMessagesTypeAdapter.validate_json(path.read_bytes()))
    except (OSError, ValueError) as exc:
        raise CannotResume(f"the conversation of step {step} ({path}) cannot be read: {exc}") from None


def _baseline(run_dir: Path, step: str, *, needed: bool) -> Snapshot | None:
    """The snapshot the step started from; without it, a step whose own work stays cannot be judged on it."""
    path = snapshot_file(run_dir / BASELINES_DIR, step)
    if not path.exists():
        if needed:
            raise CannotResume(
                f"step {step} kept no snapshot of where it started ({path}), so its work cannot be told from what "
                "was there before; start the run again with `interns run`"
            )
        return None
    try:
        return Snapshot.load(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CannotResume(f"the snapshot step {step} started from ({path}) cannot be read: {exc}") from None


def _going_on_from(point: ResumePoint, from_step: str, trails: dict[str, _StepTrail]) -> ResumePoint:
    """The point at which `from_step` is done as it stands and every step after it runs again."""
    ids = [step.id for step in point.plan]
    if from_step not in ids:
        raise CannotResume(f"run {point.run_id} has no step '{from_step}'; its steps are: {', '.join(ids)}")
    trail = trails.get(from_step)
    if trail is None or trail.finished is None or trail.finished.status != "succeeded":
        raise CannotResume(f"step '{from_step}' of run {point.run_id} did not succeed; go on from a step that did")
    again = _downstream(point.plan, from_step)
    for step, trail in trails.items():
        if step not in again and trail.finished is not None and trail.finished.status == "succeeded":
            point.done[step] = StepResult(step, "succeeded", trail.attempt, summary=trail.finished.summary)
    return point


def _downstream(plan: list[Step], start: str) -> set[str]:
    """The steps that need `start`, directly or through others."""
    found: set[str] = set()
    grew = True
    while grew:
        grew = False
        for step in plan:
            if step.id not in found and any(n == start or n in found for n in step.needs):
                found.add(step.id)
                grew = True
    return found
