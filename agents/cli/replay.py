"""`interns replay`: a recorded run's model turns played again against the current or a changed task file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast, get_args

import typer

from interns.agents.cli.common import (
    DEFAULT_RUNS_DIR,
    EXIT_FAILED,
    RunRef,
    RunsDir,
    fail,
    out,
    print_event,
    print_warnings,
    run_with_progress,
)
from interns.agents.gate.visible import visible
from interns.journal import RunLookupError, RunStore

__all__ = ["replay"]


def replay(
    run_ref: RunRef = "last",
    task: Annotated[
        Path | None,
        typer.Option("--task", metavar="TASK_FILE", help="A changed task file to play the turns against."),
    ] = None,
    sandbox: Annotated[
        str | None,
        typer.Option(
            "--sandbox", metavar="KIND", help="Run the commands in this sandbox instead: bubblewrap, docker, local."
        ),
    ] = None,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """Play a run's recorded model turns again, with real tools and sandbox and no model calls, and say what differs.

    Every call now refused or allowed (and by which rule), every check that now passes or fails, every step that
    ends otherwise. The replay is a run of its own, linked to the original. Exits 1 when the outcome differs.
    """
    from interns.agents.runtime.replay import CannotReplay, compare, start_replay
    from interns.agents.runtime.runner import Runner
    from interns.tasks.spec import SandboxKind  # the task model loads only when a replay runs

    kinds = get_args(SandboxKind)
    if sandbox is not None and sandbox not in kinds:
        raise fail(f"--sandbox: {sandbox!r} is not a sandbox; use one of {', '.join(kinds)}")

    runner = Runner(runs_dir, asker=None, on_event=print_event)  # no one is asked: a call that asks, pauses
    try:
        supervisor, original = start_replay(runner, run_ref, task, cast(SandboxKind | None, sandbox))
    except (RunLookupError, CannotReplay) as exc:
        raise fail(str(exc)) from None
    print_warnings(runner)
    result = run_with_progress(supervisor)
    store = RunStore(runs_dir)
    differences = compare(list(store.events(original)), list(store.events(result.run_id)))
    out.print("")
    out.print(f"replay {result.run_id} of run {original}: {result.status}", markup=False)
    if not differences:
        out.print("The outcome is the same: every call judged alike, every check and step ending alike.")
        return
    out.print(f"{len(differences)} differences:", style="bold")
    for difference in differences:
        out.print(visible(f"  {difference}"), markup=False)
    raise typer.Exit(EXIT_FAILED)
