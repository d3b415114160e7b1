"""Answering what a paused run asks, and checking that a stopped run may go on: for the CLI and the viewer alike."""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from interns.agents.gate.review import GateError, decision_of
from interns.agents.gate.visible import visible
from interns.journal import ApprovalAnswered, ApprovalRequested, RunLookupError, RunStillGoing, RunStore, reopen_run

if TYPE_CHECKING:
    from interns.agents.runtime.resume import ResumePoint

__all__ = ["Answered", "answer_requests", "ready_to_resume"]


@dataclass
class Answered:
    """The requests a person just answered, and how many of the run's requests still wait."""

    run_id: str
    approved: bool
    answered: list[ApprovalRequested] = field(default_factory=list)
    left: int = 0


def resume_point_of(store: RunStore, run_ref: str, from_step: str | None = None) -> ResumePoint:
    """Where run `run_ref` would go on from; a GateError if it cannot (finished, going, or decided by a person)."""
    from interns.agents.runtime.resume import CannotResume, resume_point  # the runtime, loaded only when a run goes on

    try:
        point = resume_point(store, run_ref, from_step)
    except (RunLookupError, CannotResume) as exc:
        raise GateError(str(exc)) from None
    if (decision := decision_of(store.dir(point.run_id))) is not None:
        raise GateError(f"run {point.run_id} was {decision.decision} by a person; it cannot go on")
    return point


def ready_to_resume(store: RunStore, run_ref: str, from_step: str | None = None) -> ResumePoint:
    """Where run `run_ref` goes on from, if nothing stands in the way (no request left unanswered); else a GateError."""
    point = resume_point_of(store, run_ref, from_step)
    if point.waiting:
        listed = "\n  ".join(visible(f"step {r.step}: {r.tool} {r.target}", one_line=True) for r in point.waiting)
        raise GateError(
            f"run {point.run_id} still waits for answers:\n  {listed}\nanswer with: interns approve {point.run_id}"
        )
    return point


def answer_requests(
    store: RunStore,
    run_ref: str,
    *,
    deny: str | None = None,
    calls: list[str] | None = None,
    by: str = "terminal",
) -> Answered:
    """Approve (or, with a `deny` reason, refuse) the requests run `run_ref` paused on: every one, or those in `calls`.

    Each answer is journaled with where it was given (`by`), the user and the host. Nothing is written when the run
    does not wait, a named request is not among those waiting, or a refusal gives no reason.
    """
    if deny is not None and not deny.strip():
        raise GateError("to deny a request, say why: the worker is told the reason")
    try:
        header = store.load(run_ref)
    except RunLookupError as exc:
        raise GateError(str(exc)) from None
    if header.status != "awaiting_approval":  # asked first: a finished run cannot go on, and that is not the point
        raise GateError(f"run {header.run_id} is {header.status}, not awaiting_approval: nothing to answer")
    point = resume_point_of(store, header.run_id)
    if unknown := sorted(set(calls or []) - {r.call_id for r in point.waiting}):
        raise GateError(f"run {point.run_id} has no unanswered request {', '.join(unknown)}")
    waiting = [r for r in point.waiting if not calls or r.call_id in calls]
    answered = Answered(point.run_id, approved=deny is None, left=len(point.waiting) - len(waiting))
    if not waiting:
        return answered
    try:
        journal = reopen_run(store.root, point.run_id, resume=False)
    except RunStillGoing as exc:
        raise GateError(str(exc)) from None
    user, host = getpass.getuser(), socket.gethostname()
    try:
        for request in waiting:
            reason = (deny or "").strip()
            journal.record(
                ApprovalAnswered(
                    step=request.step,
                    call_id=request.call_id,
                    approved=deny is None,
                    reason=reason,
                    by=by,
                    user=user,
                    host=host,
                )
            )
            answered.answered.append(request)
    finally:
        journal.detach()
    return answered
