"""The `interns` command line: check and run task files, list runs, show what happened in one."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated, cast, get_args

import typer
from rich.console import Console
from rich.table import Table

import tasks
from agents.approval import default_asker
from agents.models import ModelSetupError, select_model
from agents.preflight import PreflightError, preflight
from agents.supervisor import Supervisor
from agents.timeline import STATUS_STYLE, event_line, usage_text
from journal import Event, RunLookupError, RunStatus, RunStore

__all__ = ["app", "main"]

EXIT_FAILED, EXIT_BAD_INPUT, EXIT_CANCELLED = 1, 2, 130
RUN_STATUSES: tuple[str, ...] = get_args(RunStatus)

app = typer.Typer(
    name="interns",
    help="Manage agents like interns: run a task file on sandboxed workers, check their work, and review every run.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

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


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    err.print(message, style="red", markup=False)
    return typer.Exit(code)


@app.command()
def check(files: Annotated[list[Path], typer.Argument(help="Task files to validate.", show_default=False)]) -> None:
    """Validate task files and print each one's plan of steps; exit code 2 names every problem found."""
    bad = False
    for path in files:
        try:
            spec = tasks.load(path)
        except tasks.TaskFileError as exc:
            bad = True
            for problem in exc.problems:
                err.print(str(problem), markup=False)
            continue
        out.print(f"{path}: ok — task '{spec.name}'", style="green", markup=False)
        for number, level in enumerate(tasks.plan_levels(spec.effective_steps()), start=1):
            for step in level:
                needs = f" (after {', '.join(step.needs)})" if step.needs else ""
                checks = f"  done when: {'; '.join(step.done_when)}" if step.done_when else ""
                out.print(f"  {number}. {step.id}{needs}{checks}", markup=False)
    if bad:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Write the JSON schema of task files, for editor completion (`# yaml-language-server: $schema=FILE`)."""
    text = json.dumps(tasks.json_schema(), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}", markup=False)


@app.command()
def run(
    task_file: Annotated[Path, typer.Argument(help="The task file to run.", show_default=False)],
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="A pydantic-ai model string, or scripted:FILE; overrides the task's model."),
    ] = None,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """Run a task file: each step on a sandboxed worker, checked by its done_when commands, all journaled."""
    try:
        spec = tasks.load(task_file)
        choice = select_model(spec.model, model)
        warnings = preflight(spec)
    except tasks.TaskFileError as exc:
        raise _fail("\n".join(str(p) for p in exc.problems)) from None
    except (ModelSetupError, PreflightError) as exc:
        raise _fail(str(exc)) from None
    for warning in warnings:
        err.print(f"warning: {warning}", style="yellow", markup=False)
    supervisor = Supervisor(
        spec,
        choice,
        runs_root=runs_dir,
        task_text=task_file.read_text(encoding="utf-8"),
        asker=default_asker(),
        on_event=_print_event,
    )
    try:
        result = asyncio.run(supervisor.run())
    except KeyboardInterrupt:
        journal_dir = supervisor.journal.dir if supervisor.journal else runs_dir
        raise _fail(f"cancelled; the journal is in {journal_dir}", EXIT_CANCELLED) from None
    out.print(f"\nwork:    {result.output}", markup=False)
    out.print(f"journal: {result.run_dir}", markup=False)
    out.print(f"review:  interns show {result.run_id}", markup=False)
    if result.status != "succeeded":
        raise typer.Exit(EXIT_FAILED)


def _print_event(event: Event) -> None:
    line = event_line(event)
    if line is not None:
        out.print(line)


@app.command("runs")
def list_runs(
    status: Annotated[str | None, typer.Option(help="Only runs with this status.")] = None,
    task: Annotated[str | None, typer.Option(help="Only runs of this task.")] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many runs.")] = 50,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """List runs, newest first: status, task, when, how long, tokens and cost."""
    if status is not None and status not in RUN_STATUSES:
        raise _fail(f"--status: {status!r} is not one of {', '.join(RUN_STATUSES)}")
    headers = RunStore(runs_dir).list(status=cast(RunStatus | None, status), task=task, limit=limit)
    if not headers:
        err.print(f"no runs in {runs_dir}", markup=False)
        return
    table = Table(box=None, pad_edge=False)
    for column in ("run", "status", "task", "started", "duration", "tokens", "cost", "model"):
        right = column in ("duration", "tokens", "cost")
        table.add_column(column, justify="right" if right else "left", no_wrap=column in ("run", "started"))
    for h in headers:
        table.add_row(
            h.run_id,
            f"[{STATUS_STYLE.get(h.status, '')}]{h.status}[/]",
            h.task,
            h.started.astimezone().strftime("%Y-%m-%d %H:%M"),
            f"{h.duration:.1f}s" if h.duration is not None else "",
            f"{h.usage.total_tokens:,}",
            f"${h.usage.cost_usd:.4f}" if h.usage.cost_usd is not None else "n/a",
            "scripted" if h.scripted else h.model,
        )
    out.print(table)


@app.command()
def show(
    run_ref: Annotated[
        str, typer.Argument(metavar="RUN", help="A run id, a unique prefix of one, or 'last'.")
    ] = "last",
    as_json: Annotated[bool, typer.Option("--json", help="Print the header and events as JSON lines.")] = False,
    lines: Annotated[int, typer.Option(help="Lines of command output to show under each command.")] = 8,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """Print the timeline of one run: steps, model turns, tool calls, policy decisions, commands and checks."""
    store = RunStore(runs_dir)
    try:
        header = store.load(run_ref)
    except RunLookupError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        sys.stdout.write(header.model_dump_json() + "\n")
        for event in store.events(header.run_id):
            sys.stdout.write(event.model_dump_json() + "\n")
        return
    model = f"{header.model} (scripted, not a real model)" if header.scripted else header.model
    out.print(f"run {header.run_id}", style="bold", markup=False)
    out.print(f"  task      {header.task}: {header.goal.strip().splitlines()[0] if header.goal else ''}", markup=False)
    out.print(f"  model     {model}", markup=False)
    out.print(f"  workspace {header.workspace}", markup=False)
    out.print(f"  status    [{STATUS_STYLE.get(header.status, '')}]{header.status}[/] {header.reason}")
    out.print(f"  usage     {usage_text(header.usage)}\n", markup=False)
    for event in store.events(header.run_id):
        line = event_line(event, detail=lines)
        if line is not None:
            out.print(line)
    diff = store.dir(header.run_id) / "final.diff"
    if diff.exists() and diff.stat().st_size:
        out.print(f"\nfinal diff: {diff}", markup=False)


def main() -> None:
    """Entry point of the `interns` console script."""
    app()
