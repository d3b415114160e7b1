"""`interns approve` and `interns resume`: answer what a paused run asks, and go on with a run that stopped."""

from __future__ import annotations

import getpass
import hashlib
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from interns.agents.cli.common import (
    DEFAULT_RUNS_DIR,
    EXIT_FAILED,
    PROG,
    RunRef,
    RunsDir,
    err,
    fail,
    out,
    print_warnings,
    report_outcome,
    run_with_progress,
    runner_for,
)
from interns.agents.gate import review as review_gate
from interns.agents.gate.visible import visible
from interns.journal import ApprovalAnswered, RunLookupError, RunStillGoing, RunStore, reopen_run

if TYPE_CHECKING:
    from interns.agents.runtime.resume import ResumePoint

__all__ = ["approve", "resume"]


def _point(store: RunStore, run_ref: str, from_step: str | None = None) -> ResumePoint:
    from interns.agents.runtime.resume import CannotResume, resume_point  # the runtime, loaded only when a run goes on

    try:
        point = resume_point(store, run_ref, from_step)
    except (RunLookupError, CannotResume) as exc:
        raise fail(str(exc)) from None
    if (decision := review_gate.decision_of(store.dir(point.run_id))) is not None:
        raise fail(f"run {point.run_id} was {decision.decision} by a person; it cannot go on")
    return point


def approve(
    run_ref: RunRef = "last",
    deny: Annotated[
        str | None, typer.Option("--deny", metavar="WHY", help="Refuse instead, saying why; the worker is told.")
    ] = None,
    call: Annotated[
        list[str] | None, typer.Option("--call", metavar="ID", help="Answer only this request (repeatable).")
    ] = None,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """Answer the requests a run paused on (every one, or those named with --call): yes, or no with --deny WHY.

    The answers are journaled; `interns resume RUN` then goes on, and the worker sees each answer.
    """
    store = RunStore(runs_dir)
    try:
        header = store.load(run_ref)
    except RunLookupError as exc:
        raise fail(str(exc)) from None
    if header.status != "awaiting_approval":  # asked first: a finished run cannot go on, and that is not the point
        raise fail(f"run {header.run_id} is {header.status}, not awaiting_approval: nothing to answer")
    point = _point(store, header.run_id)
    waiting = [r for r in point.waiting if not call or r.call_id in call]
    if unknown := sorted(set(call or []) - {r.call_id for r in point.waiting}):
        raise fail(f"run {point.run_id} has no unanswered request {', '.join(unknown)}")
    if not waiting:
        out.print(f"Nothing in run {point.run_id} waits for an answer; go on with: {PROG} resume {point.run_id}")
        return
    try:
        journal = reopen_run(runs_dir, point.run_id, resume=False)
    except RunStillGoing as exc:
        raise fail(str(exc)) from None
    verb = "denied" if deny is not None else "approved"
    try:
        for request in waiting:
            journal.record(
                ApprovalAnswered(
                    step=request.step,
                    call_id=request.call_id,
                    approved=deny is None,
                    reason=deny or "",
                    by="terminal",
                    user=getpass.getuser(),
                    host=socket.gethostname(),
                )
            )
            shown = f"{verb}: step {request.step}: {request.tool} {request.target}  ({request.rule})"
            out.print(visible(shown, one_line=True), markup=False)
    finally:
        journal.detach()
    left = len(point.waiting) - len(waiting)
    if left:
        out.print(f"{left} more request(s) wait; answer them with: {PROG} approve {point.run_id}", markup=False)
    else:
        out.print(f"go on with: {PROG} resume {point.run_id}", markup=False)


def resume(
    run_ref: RunRef = "last",
    from_step: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="STEP",
            help="Keep STEP's output as it is now (edit it first) and run every step after it again.",
        ),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="The model to go on with; default: the run's own.")
    ] = None,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """Go on with a run that paused for approval, was interrupted (killed) or was cancelled.

    Finished steps are not run again: their branches or outputs are kept. A step that paused goes on with its
    conversation and the answers given with `interns approve`; a step cut off in the middle starts again.
    With --from STEP any finished run goes on from that step: after you edit its output in the run's worked copy,
    the steps that need it run again on your version.
    """
    store = RunStore(runs_dir)
    point = _point(store, run_ref, from_step)
    if point.waiting:
        listed = "\n  ".join(visible(f"step {r.step}: {r.tool} {r.target}", one_line=True) for r in point.waiting)
        raise fail(
            f"run {point.run_id} still waits for answers:\n  {listed}\nanswer with: {PROG} approve {point.run_id}"
        )
    task_file = Path(point.started.task_file)
    runner = runner_for(runs_dir)
    supervisor = runner.resume(point.run_id, from_step=from_step, model=model)
    print_warnings(runner)
    if point.started.task_file and task_file.exists():
        from interns.agents.runtime.redaction import run_redactor

        stored = run_redactor(supervisor.spec).redact(task_file.read_text(encoding="utf-8")).encode()
        if hashlib.sha256(stored).hexdigest() != point.header.task_sha256:
            changed = f"warning: {task_file} changed since the run started; going on with it as it is now"
            err.print(visible(changed), style="yellow", markup=False)
    try:
        result = run_with_progress(supervisor)
    except RunStillGoing as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    out.print("")
    report_outcome(result, human_review=supervisor.spec.review.human, runs_dir=runs_dir)
