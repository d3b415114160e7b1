"""`interns run`: a task file run on sandboxed workers, shown as it goes; `--plan-only` and `--approve-plan`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from interns.agents.cli.common import (
    DEFAULT_RUNS_DIR,
    EXIT_CANCELLED,
    Params,
    RunsDir,
    fail,
    given_params,
    out,
    print_warnings,
    report_outcome,
    run_with_progress,
    runner_for,
)
from interns.agents.gate.visible import visible
from interns.journal import BatchLink, RunStore

if TYPE_CHECKING:
    from interns import tasks

__all__ = ["run"]


def run(
    task_file: Annotated[Path, typer.Argument(metavar="TASK_FILE", help="The task file to run.", show_default=False)],
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="A pydantic-ai model string, or scripted:FILE; overrides the task's model."),
    ] = None,
    plan_only: Annotated[
        bool, typer.Option("--plan-only", help="Print the plan (planned, if needed) and stop.")
    ] = False,
    approve_plan: Annotated[
        bool,
        typer.Option("--approve-plan", help="Show the plan and wait for a yes on the terminal before work starts."),
    ] = False,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
    param: Params = None,
    batch_row: Annotated[
        str | None, typer.Option("--batch-row", hidden=True, help="BATCH_ID:ROW, set by `interns batch`.")
    ] = None,
) -> None:
    """Run a task file: each step on a sandboxed worker, checked by its done_when commands, all journaled."""
    if approve_plan and not sys.stdin.isatty():
        raise fail("--approve-plan needs a terminal to answer on; use --plan-only to see the plan")
    runner = runner_for(runs_dir)
    try:
        supervisor = runner.start(
            task_file,
            model=model,
            plan_only=plan_only,
            approve_plan=_approve_on_terminal if approve_plan else None,
            params=given_params(param),
            batch=_batch_link(batch_row),
        )
    except KeyboardInterrupt:  # while the runtime loads: a begun run's journal already says cancelled
        raise fail(f"cancelled; the journal is in {runs_dir}", EXIT_CANCELLED) from None
    print_warnings(runner)
    try:
        result = run_with_progress(supervisor)
    except KeyboardInterrupt:
        journal_dir = supervisor.journal.dir if supervisor.journal else runs_dir
        raise fail(f"cancelled; the journal is in {journal_dir}", EXIT_CANCELLED) from None
    out.print("")
    if plan_only:
        _print_planned(RunStore(runs_dir), result.run_id)
        out.print(f"journal: {result.run_dir}", markup=False)
        return
    report_outcome(result, human_review=supervisor.spec.review.human, runs_dir=runs_dir)


def _batch_link(text: str | None) -> BatchLink | None:
    """`--batch-row ID:ROW` as the link the run's header records."""
    if text is None:
        return None
    batch_id, _, row = text.rpartition(":")
    if not batch_id or not row.isdigit():
        raise fail(f"--batch-row {text!r}: write it as BATCH_ID:ROW")
    return BatchLink(batch_id=batch_id, row=int(row))


async def _approve_on_terminal(steps: list[tasks.Step]) -> bool:
    """Show the plan with each step's instructions and ask for a yes before work starts."""
    out.print("\nThe plan:", style="bold")
    _print_steps(steps)
    from interns.agents.gate.approval import TerminalAsker

    answer = await TerminalAsker().ask("Start work on this plan?", f"{len(steps)} steps")
    return answer.approved


def _print_planned(store: RunStore, run_id: str) -> None:
    """Print the plan a --plan-only run journaled, with each step's instructions."""
    from interns import tasks
    from interns.journal import PlanMade

    plan = next((e for e in store.events(run_id) if isinstance(e, PlanMade)), None)
    if plan is None:
        return
    out.print("The plan (nothing was run):", style="bold")
    _print_steps([tasks.Step.model_validate(step) for step in plan.steps])


def _print_steps(steps: list[tasks.Step]) -> None:
    """Each step in dependency order, with what it needs, its instructions and its checks."""
    from interns import tasks

    for step in tasks.topological_order(steps):
        needs = f" (after {', '.join(step.needs)})" if step.needs else ""
        # A plan the supervisor wrote is a model's text.
        out.print(visible(f"  {step.id}{needs}: {step.instructions.strip()}"), markup=False)
        for check in step.done_when:
            out.print(visible(f"      done when: {tasks.describe_check(check)}"), markup=False)
