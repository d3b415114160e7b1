"""What the commands of the `interns` CLI share: the consoles, common options, exit codes, and showing a run go by."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.live import Live

from interns.agents.cli.progress import RunProgress
from interns.agents.cli.timeline import event_line
from interns.agents.gate import review as review_gate
from interns.agents.gate.approval import Answer, Asker
from interns.agents.gate.visible import visible
from interns.journal import Event, RunStore

if TYPE_CHECKING:
    from interns import tasks
    from interns.agents.runtime.supervisor import RunResult, Supervisor
    from interns.agents.worker.models import ModelChoice

__all__ = [
    "DEFAULT_RUNS_DIR",
    "EXIT_AWAITING_APPROVAL",
    "EXIT_BAD_INPUT",
    "EXIT_CANCELLED",
    "EXIT_FAILED",
    "PROG",
    "RunRef",
    "RunsDir",
    "err",
    "fail",
    "out",
    "prepare_run",
    "print_event",
    "report_outcome",
    "run_with_progress",
    "scripted_agents",
]

EXIT_FAILED, EXIT_BAD_INPUT, EXIT_AWAITING_APPROVAL, EXIT_CANCELLED = 1, 2, 3, 130
PROG = sys.argv[0] if Path(sys.argv[0]).name == "interns" else "interns"
"""How the person started us, so the commands we suggest work as typed (`.venv/bin/interns ...`)."""

# Piped or saved output is never cut at 80 columns: a review's diff must stay whole.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 400)
err = Console(stderr=True, highlight=False, soft_wrap=True)

RunsDir = Annotated[
    Path,
    typer.Option(
        "--runs-dir",
        envvar="INTERNS_HOME",
        help="Where run journals live (env INTERNS_HOME).",
        show_default=True,
    ),
]
DEFAULT_RUNS_DIR = Path(".interns")
RunRef = Annotated[str, typer.Argument(metavar="RUN", help="A run id, a unique prefix of one, or 'last'.")]


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print the message in red on stderr, its control characters made visible; the exit to raise with `code`."""
    err.print(visible(message), style="red", markup=False)
    return typer.Exit(code)


def print_event(event: Event) -> None:
    """Print one event of a run as a timeline line, if it has one."""
    line = event_line(event)
    if line is not None:
        out.print(line)


def run_with_progress(supervisor: Supervisor) -> RunResult:
    """Run, printing each event; on a terminal, a live line below says where every step stands."""
    if not out.is_terminal:
        return asyncio.run(supervisor.run())
    progress = RunProgress()
    with Live(progress.render(), console=out, transient=True, refresh_per_second=4) as live:

        def show(event: Event) -> None:
            print_event(event)
            progress.update(event)
            live.update(progress.render())

        supervisor.on_event = show
        supervisor.asker = _PausingAsker(supervisor.asker, live)
        return asyncio.run(supervisor.run())


class _PausingAsker:
    """Hides the live status line while a person is asked, so it cannot overwrite the question."""

    def __init__(self, inner: Asker, live: Live) -> None:
        self.inner, self.live = inner, live
        self.interactive = inner.interactive

    async def ask(self, question: str, detail: str, argv: Sequence[str] = ()) -> Answer:
        """Ask with the status line stopped, and start it again afterwards."""
        self.live.stop()
        try:
            return await self.inner.ask(question, detail, argv)
        finally:
            self.live.start()


def report_outcome(result: RunResult, *, human_review: bool, runs_dir: Path) -> None:
    """Say where the work and the journal are and what to do next; exit non-zero unless the run succeeded."""
    if result.output:
        out.print(visible(f"work:    {result.output}"), markup=False)
    out.print(f"journal: {result.run_dir}", markup=False)
    if result.status == "awaiting_approval":
        out.print(visible(f"waiting: {result.reason}"), markup=False)
        out.print(f'answer:  {PROG} approve {result.run_id}   (or --deny "why"), then: {PROG} resume {result.run_id}')
        raise typer.Exit(EXIT_AWAITING_APPROVAL)
    if result.status != "succeeded":
        out.print(f"see it:  {PROG} show {result.run_id}", markup=False)
        if result.status in ("cancelled", "limit_exceeded"):
            out.print(f"go on:   {PROG} resume {result.run_id}", markup=False)
        raise typer.Exit(EXIT_FAILED)
    if human_review:
        out.print(f"review:  {PROG} review {result.run_id}   (then --accept, or --reject / --retry with a note)")
        return
    store = RunStore(runs_dir)
    try:
        decision = review_gate.accept(
            store, store.load(result.run_id), "accepted without a person (review.human: false)"
        )
    except review_gate.GateError as exc:
        raise fail(f"review.human is false, but the work could not land: {exc}", EXIT_FAILED) from None
    out.print(visible(f"landed:  {decision.detail} (review.human is false)"), markup=False)


def prepare_run(task_file: Path, model: str | None) -> tuple[tasks.TaskSpec, ModelChoice]:
    """The task and its model, checked as a run needs them; each problem printed, with exit code 2."""
    from interns import tasks
    from interns.agents.policy.rule_examples import example_problems
    from interns.agents.runtime.preflight import PreflightError, preflight
    from interns.agents.worker.models import ModelSetupError, select_model

    try:
        spec = tasks.load(task_file)
        choice = select_model(spec.model, model)
        choice.check_script_covers(scripted_agents(spec))
        if problems := example_problems(spec):
            raise PreflightError("\n".join(problems))
        warnings = preflight(spec)
    except tasks.TaskFileError as exc:
        raise fail("\n".join(str(p) for p in exc.problems)) from None
    except ModelSetupError as exc:
        raise fail(str(exc)) from None
    except PreflightError as exc:
        raise fail(f"{task_file}: {exc}") from None
    for warning in warnings:
        err.print(f"warning: {warning}", style="yellow", markup=False)
    return spec, choice


def scripted_agents(spec: tasks.TaskSpec) -> list[str]:
    """The agents a script must give turns to: the planner, or each step and, when reviews are on, its review;
    and the judge of each rubric check (`<step>.rubric`, or `rubric` for the task's own)."""
    from interns import tasks

    rubric = [] if not any(isinstance(c, tasks.RubricCheck) for c in spec.done_when) else ["rubric"]
    if not spec.steps:
        return ["plan", *rubric]
    reviews = [f"{s.id}.review" for s in spec.steps] if spec.review.supervisor else []
    judges = [f"{s.id}.rubric" for s in spec.steps if any(isinstance(c, tasks.RubricCheck) for c in s.done_when)]
    return [s.id for s in spec.steps] + reviews + judges + rubric
