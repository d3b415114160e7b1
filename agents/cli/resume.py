"""`interns approve` and `interns resume`: answer what a paused run asks, and go on with a run that stopped."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

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
from interns.agents.gate.approvals import answer_requests, ready_to_resume
from interns.agents.gate.review import GateError
from interns.agents.gate.visible import visible
from interns.journal import RunStillGoing, RunStore

__all__ = ["approve", "resume"]

By = Annotated[str, typer.Option("--by", hidden=True, help="Where the person asked (the viewer says so).")]


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
    try:
        answered = answer_requests(RunStore(runs_dir), run_ref, deny=deny, calls=call, by="terminal")
    except GateError as exc:
        raise fail(str(exc)) from None
    run_id = answered.run_id
    if not answered.answered:
        out.print(f"Nothing in run {run_id} waits for an answer; go on with: {PROG} resume {run_id}")
        return
    verb = "approved" if answered.approved else "denied"
    for request in answered.answered:
        shown = f"{verb}: step {request.step}: {request.tool} {request.target}  ({request.rule})"
        out.print(visible(shown, one_line=True), markup=False)
    if answered.left:
        out.print(f"{answered.left} more request(s) wait; answer them with: {PROG} approve {run_id}", markup=False)
    else:
        out.print(f"go on with: {PROG} resume {run_id}", markup=False)


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
    by: By = "terminal",
) -> None:
    """Go on with a run that paused for approval, was interrupted (killed) or was cancelled.

    Finished steps are not run again: their branches or outputs are kept. A step that paused goes on with its
    conversation and the answers given with `interns approve`; a step cut off in the middle starts again.
    With --from STEP any finished run goes on from that step: after you edit its output in the run's worked copy,
    the steps that need it run again on your version.
    """
    if by not in ("terminal", "viewer"):
        raise fail("--by is terminal or viewer")
    try:
        point = ready_to_resume(RunStore(runs_dir), run_ref, from_step)
    except GateError as exc:
        raise fail(str(exc)) from None
    task_file = Path(point.started.task_file)
    runner = runner_for(runs_dir)
    supervisor = runner.resume(point.run_id, from_step=from_step, model=model, by=by)
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
