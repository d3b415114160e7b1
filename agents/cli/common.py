"""What the commands of the `interns` CLI share: the consoles, common options, exit codes, and showing a run go by."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from interns.agents.gate.visible import visible
from interns.errors import EnvironmentProblem, InternsError, TaskError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live

    from interns.agents.gate.approval import Answer, Asker
    from interns.agents.runtime.runner import Runner
    from interns.agents.runtime.supervisor import RunResult, Supervisor
    from interns.journal import Event

# Every command imports this module: what only showing a run needs (the timeline, the event models, rich's live
# display) is imported where it is used, so `interns runs` stays quick; rich itself and pydantic load on first use,
# so `interns run` journals its start before them.

__all__ = [
    "DEFAULT_RUNS_DIR",
    "EXIT_AWAITING_APPROVAL",
    "EXIT_BAD_INPUT",
    "EXIT_CANCELLED",
    "EXIT_FAILED",
    "PROG",
    "Params",
    "RunRef",
    "RunsDir",
    "err",
    "exit_code_of",
    "fail",
    "given_params",
    "out",
    "print_event",
    "print_warnings",
    "report_outcome",
    "run_with_progress",
    "runner_for",
]

EXIT_FAILED, EXIT_BAD_INPUT, EXIT_AWAITING_APPROVAL, EXIT_CANCELLED = 1, 2, 3, 130
PROG = sys.argv[0] if Path(sys.argv[0]).name == "interns" else "interns"
"""How the person started us, so the commands we suggest work as typed (`.venv/bin/interns ...`)."""


class _ConsoleOnFirstUse:
    """A rich Console made the first time it is used, so a command loads rich only once it prints."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def made(self) -> Console:
        """The console, made now if it was not yet."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.made(), name)

    def __enter__(self) -> Console:  # rich's live display holds its console as a context
        return self.made().__enter__()

    def __exit__(self, *exc_info: Any) -> None:
        self.made().__exit__(*exc_info)


# Piped or saved output is never cut at 80 columns: a review's diff must stay whole.
out = cast("Console", _ConsoleOnFirstUse(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 400))
err = cast("Console", _ConsoleOnFirstUse(stderr=True, highlight=False, soft_wrap=True))

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
Params = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", metavar="NAME=VALUE", help="A value for one of the task's params (repeatable)."),
]


def given_params(assignments: list[str] | None) -> dict[str, str]:
    """The `-p NAME=VALUE` options as a mapping; a malformed one is the person's to fix (exit 2)."""
    from interns import tasks

    try:
        return tasks.parse_assignments(assignments or [])
    except ValueError as exc:
        raise fail(str(exc)) from None


RunRef = Annotated[str, typer.Argument(metavar="RUN", help="A run id, a unique prefix of one, or 'last'.")]


def exit_code_of(error: InternsError) -> int:
    """The exit code of an error, by who must act: the person (task file, run reference) or the environment 2,
    the run itself 1."""
    from interns.journal.store import RunLookupError

    if isinstance(error, TaskError | EnvironmentProblem | RunLookupError):
        return EXIT_BAD_INPUT
    return EXIT_FAILED


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print the message in red on stderr, its control characters made visible; the exit to raise with `code`."""
    err.print(visible(message), style="red", markup=False)
    return typer.Exit(code)


def print_event(event: Event) -> None:
    """Print one event of a run as a timeline line, if it has one."""
    from interns.agents.cli.timeline import event_line

    line = event_line(event)
    if line is not None:
        out.print(line)


def run_with_progress(supervisor: Supervisor) -> RunResult:
    """Run, printing each event; on a terminal, a live line below says where every step stands."""
    import asyncio

    from rich.live import Live

    from interns.agents.cli import collector
    from interns.agents.cli.progress import RunProgress

    collector.work_begins()  # the runtime is loaded and the run begun: what the start made stays
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
    from interns.agents.gate import review as review_gate
    from interns.journal import RunStore

    store = RunStore(runs_dir)
    try:
        decision = review_gate.accept(
            store, store.load(result.run_id), "accepted without a person (review.human: false)", by="no one"
        )
    except review_gate.GateError as exc:
        raise fail(f"review.human is false, but the work could not land: {exc}", EXIT_FAILED) from None
    out.print(visible(f"landed:  {decision.detail} (review.human is false)"), markup=False)


def runner_for(runs_dir: Path) -> Runner:
    """The runner every command starts runs with: asks on a terminal, prints each event as it is journaled."""
    from interns.agents.gate.approval import default_asker
    from interns.agents.runtime.runner import Runner

    return Runner(runs_dir, asker=default_asker(), on_event=print_event)


def print_warnings(runner: Runner) -> None:
    """Print what the checks before a run found worth a person's attention."""
    for warning in runner.warnings:
        err.print(f"warning: {warning}", style="yellow", markup=False)
