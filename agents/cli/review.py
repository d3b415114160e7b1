"""`interns review`: a finished run shown to a person, then accepted, rejected or retried with a note."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from interns.agents.cli import collector
from interns.agents.cli.common import (
    DEFAULT_RUNS_DIR,
    EXIT_FAILED,
    RunRef,
    RunsDir,
    fail,
    out,
    print_warnings,
    runner_for,
)
from interns.agents.gate import review as review_gate
from interns.journal import RunHeader, RunLookupError, RunStore

if TYPE_CHECKING:
    pass

__all__ = ["review"]


def review(
    run_ref: RunRef = "last",
    accept: Annotated[
        bool,
        typer.Option(
            "--accept",
            help="Land the work: merge the run's branch into its base, copy its outputs, or put its changes into "
            "the folder. All or nothing: on any problem nothing changes and the run can be accepted later.",
        ),
    ] = False,
    reject: Annotated[str | None, typer.Option("--reject", metavar="NOTE", help="Reject, saying why.")] = None,
    retry: Annotated[
        str | None, typer.Option("--retry", metavar="NOTE", help="Run the task again; its workers see the note.")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="The model for a retry.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="On accept, let outputs replace different files already there.")
    ] = False,
    minutes: Annotated[
        float | None,
        typer.Option("--minutes", min=0, help="How long your review took, for `interns stats` (asked on a terminal)."),
    ] = None,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
    by: Annotated[str, typer.Option("--by", hidden=True, help="Where the decision is made (the viewer says so).")] = (
        "terminal"
    ),
) -> None:
    """Show a run's result and checks and its diff, then accept it, reject it with a note, or retry it with a note."""
    from interns.agents.cli.review_view import show_review

    if by not in ("terminal", "viewer"):
        raise fail("--by is terminal or viewer")
    if sum([accept, reject is not None, retry is not None]) > 1:
        raise fail("choose one of --accept, --reject NOTE and --retry NOTE")
    store = RunStore(runs_dir)
    try:
        header = store.load(run_ref)
    except RunLookupError as exc:
        raise fail(str(exc)) from None
    deciding = accept or reject is not None or retry is not None
    show_review(out, store, header, with_diff=not deciding)
    try:
        review_gate.ensure_undecided(store, header)
    except review_gate.GateError as exc:
        if deciding:
            raise fail(str(exc), EXIT_FAILED) from None
        return  # the summary above already says what was decided, or that the run has not finished
    if not deciding:
        if not sys.stdin.isatty():
            out.print("\ndecide with --accept, --reject NOTE or --retry NOTE", markup=False)
            return
        choice = typer.prompt("\n[a]ccept, [r]eject, re[t]ry, or [q]uit", default="q").strip().lower()[:1]
        if choice == "a":
            accept = True
        elif choice in ("r", "t"):
            note = typer.prompt("Your note (the workers of a retry see it)")
            reject, retry = (note, None) if choice == "r" else (None, note)
        else:
            return
    if minutes is None and sys.stdin.isatty():
        minutes = typer.prompt("How many minutes did this review take? (for interns stats)", default=0.0, type=float)
    try:
        if accept:
            decision = review_gate.accept(store, header, force=force, minutes=minutes, by=by)
        elif reject is not None:
            decision = review_gate.reject(store, header, reject, minutes=minutes, by=by)
        else:
            assert retry is not None
            new_run = _retry(header, retry, model, runs_dir)
            decision = review_gate.reject(store, header, retry, retried_as=new_run, minutes=minutes, by=by)
    except review_gate.GateError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    out.print(f"{header.run_id}: {decision.decision}. {decision.detail}", markup=False)


def _retry(header: RunHeader, note: str, model: str | None, runs_dir: Path) -> str:
    """Run the task of `header` again with the person's note as feedback; the new run's id."""
    runner = runner_for(runs_dir)
    supervisor = runner.retry(header.run_id, note, model=model)
    print_warnings(runner)
    collector.work_begins()
    result = asyncio.run(supervisor.run())
    out.print(f"\nretry {result.run_id} {result.status}; review it with: interns review {result.run_id}", markup=False)
    return result.run_id
