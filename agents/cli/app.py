"""The `interns` command line: check and run task files, list runs, show what happened in one."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast, get_args

import typer
from rich.table import Table

from interns.agents.cli.common import (
    DEFAULT_RUNS_DIR,
    EXIT_BAD_INPUT,
    EXIT_CANCELLED,
    EXIT_FAILED,
    RunRef,
    RunsDir,
    err,
    exit_code_of,
    fail,
    out,
    print_warnings,
    report_outcome,
    run_with_progress,
    runner_for,
)
from interns.agents.cli.init import init, new
from interns.agents.cli.resume import approve, resume
from interns.agents.cli.sandbox import sandbox_app
from interns.agents.cli.stats import stats
from interns.agents.cli.timeline import STATUS_STYLE, event_line, usage_text
from interns.agents.cli.view import view
from interns.agents.gate import review as review_gate
from interns.agents.gate.approval import TerminalAsker
from interns.agents.gate.visible import visible, visible_json, visible_markup
from interns.agents.tracing.spans import setup_tracing, shutdown_tracing
from interns.errors import InternsError
from interns.journal import Event, PlanMade, RunHeader, RunLookupError, RunStatus, RunStore, UnknownEvent

if TYPE_CHECKING:
    from interns import tasks
__all__ = ["app", "main"]

RUN_STATUSES: tuple[str, ...] = get_args(RunStatus)

app = typer.Typer(
    name="interns",
    help="Manage agents like interns: run a task file on sandboxed workers, check their work, and review every run.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"interns {version('interns')}", markup=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Manage agents like interns: run a task file on sandboxed workers, check their work, and review every run."""


@app.command(short_help="Validate task files and show their plans.")
def check(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", help="Task files to validate.", show_default=False)],
) -> None:
    """Validate task files and print each one's plan of steps; exit code 2 names every problem found."""
    from interns import tasks
    from interns.agents.policy.rule_examples import example_problems
    from interns.agents.runtime.preflight import PreflightError, check_workspace

    bad = False
    for path in files:
        try:
            spec = tasks.load(path)
        except tasks.TaskFileError as exc:
            bad = True
            for problem in exc.problems:
                err.print(str(problem), markup=False)
            continue
        try:
            check_workspace(spec)
        except PreflightError as exc:
            bad = True
            err.print(visible(exc.located(path)), markup=False)
            continue
        if misjudged := example_problems(spec):
            bad = True
            for line in misjudged:
                err.print(f"{path}: {line}", markup=False)
            continue
        out.print(f"{path}: ok — task '{spec.name}'", style="green", markup=False)
        if not spec.steps:
            out.print("  no steps: the supervisor plans them when the run starts (see them with --plan-only)")
        _print_plan(spec.steps)
    if bad:
        raise typer.Exit(EXIT_BAD_INPUT)


def _print_plan(steps: list[tasks.Step]) -> None:
    """Print steps by level: those on one level may run at the same time."""
    from interns import tasks

    for number, level in enumerate(tasks.plan_levels(steps), start=1):
        for step in level:
            needs = f" (after {', '.join(step.needs)})" if step.needs else ""
            checks = f"  done when: {'; '.join(map(tasks.describe_check, step.done_when))}" if step.done_when else ""
            out.print(f"  {number}. {step.id}{needs}{checks}", markup=False)


async def _approve_on_terminal(steps: list[tasks.Step]) -> bool:
    """Show the plan with each step's instructions and ask for a yes before work starts."""
    out.print("\nThe plan:", style="bold")
    _print_steps(steps)
    answer = await TerminalAsker().ask("Start work on this plan?", f"{len(steps)} steps")
    return answer.approved


@app.command(short_help="Write the task-file JSON schema.")
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Write the JSON schema of task files, for editor completion (`# yaml-language-server: $schema=FILE`)."""
    from interns import tasks

    text = json.dumps(tasks.json_schema(), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise fail(f"--output: cannot write {output}: {exc.strerror}") from None
        err.print(f"wrote {output}", markup=False)


@app.command(short_help="Run a task file.")
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
) -> None:
    """Run a task file: each step on a sandboxed worker, checked by its done_when commands, all journaled."""
    if approve_plan and not sys.stdin.isatty():
        raise fail("--approve-plan needs a terminal to answer on; use --plan-only to see the plan")
    runner = runner_for(runs_dir)
    supervisor = runner.start(
        task_file, model=model, plan_only=plan_only, approve_plan=_approve_on_terminal if approve_plan else None
    )
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


def _print_planned(store: RunStore, run_id: str) -> None:
    """Print the plan a --plan-only run journaled, with each step's instructions."""
    from interns import tasks

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


@app.command("runs", short_help="List runs, newest first.")
def list_runs(
    status: Annotated[str | None, typer.Option(help="Only runs with this status.")] = None,
    task: Annotated[str | None, typer.Option(help="Only runs of this task.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many runs.")] = 50,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """List runs, newest first: status, task, when, how long, tokens and cost."""
    if status is not None and status not in RUN_STATUSES:
        raise fail(f"--status: {status!r} is not one of {', '.join(RUN_STATUSES)}")
    if not (runs_dir / "runs").is_dir():
        err.print(f"no runs yet in {runs_dir}", markup=False)
        return
    headers = RunStore(runs_dir).list(status=cast(RunStatus | None, status), task=task, limit=limit)
    if not headers:
        err.print(f"no runs in {runs_dir} match", markup=False)
        return
    table = Table(box=None, pad_edge=False)
    for column in ("run", "status", "review", "started", "took", "tokens", "cost", "model"):
        right = column in ("took", "tokens", "cost")
        table.add_column(column, justify="right" if right else "left", no_wrap=column in ("run", "started"))
    for h in headers:
        table.add_row(
            h.run_id,
            f"[{STATUS_STYLE.get(h.status, 'default')}]{h.status}[/]",
            decision.decision if (decision := review_gate.decision_of(runs_dir / "runs" / h.run_id)) else "",
            h.started.astimezone().strftime("%m-%d %H:%M"),
            f"{h.duration:.1f}s" if h.duration is not None else "",
            f"{h.usage.total_tokens:,}",
            f"${h.usage.cost_usd:.4f}" if h.usage.cost_usd is not None else "n/a",
            "scripted" if h.scripted else visible_markup(h.model),
        )
    out.print(table)


@app.command(short_help="Show the timeline of a run.")
def show(
    run_ref: RunRef = "last",
    as_json: Annotated[bool, typer.Option("--json", help="Print the header and events as JSON lines.")] = False,
    lines: Annotated[int, typer.Option(min=0, help="Lines of command output to show under each command.")] = 8,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing events until the run ends.")] = False,
    steps: Annotated[
        list[str] | None, typer.Option("--step", metavar="STEP", help="Only this step's events (repeatable).")
    ] = None,
    by_step: Annotated[
        bool, typer.Option("--by-step", help="Fold the timeline by step, in the plan's order, instead of by time.")
    ] = False,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """Print the timeline of one run: steps, model turns, tool calls, policy decisions, commands and checks."""
    from interns.agents.cli.follow import follow_events

    if by_step and follow:
        raise fail("--by-step needs the whole run; use --step STEP with --follow to watch one step")
    store = RunStore(runs_dir)
    try:
        header = store.load(run_ref)
    except RunLookupError as exc:
        raise fail(str(exc)) from None
    if as_json:  # JSON escapes C0 controls itself; the rest a terminal would act on are escaped too
        sys.stdout.write(visible_json(header.model_dump_json()) + "\n")
        for event in store.events(header.run_id):
            sys.stdout.write(visible_json(event.model_dump_json()) + "\n")
        return
    model = f"{header.model} (scripted, not a real model)" if header.scripted else header.model
    goal = header.goal.strip().splitlines()[0] if header.goal.strip() else ""
    out.print(f"run {header.run_id}", style="bold", markup=False)
    out.print(visible(f"  task      {header.task}: {goal}"), markup=False)
    out.print(visible(f"  model     {model}"), markup=False)
    out.print(visible(f"  workspace {header.workspace}"), markup=False)
    status = STATUS_STYLE.get(header.status, "default")
    out.print(f"  status    [{status}]{header.status}[/] {visible_markup(header.reason)}")
    out.print(f"  usage     {usage_text(header.usage)}\n", markup=False)
    if follow:
        events: Iterable[Event | UnknownEvent] = follow_events(
            store.dir(header.run_id) / "events.jsonl", lambda: store.load(header.run_id).status == "running"
        )
    else:
        events = store.events(header.run_id)
    if steps and not follow and (unknown := sorted(set(steps) - _steps_of(store, header.run_id))):
        known = ", ".join(sorted(_steps_of(store, header.run_id))) or "none yet"
        raise fail(f"run {header.run_id} has no step {', '.join(unknown)}; its steps are: {known}")
    if steps:
        events = (e for e in events if e.step is None or e.step in steps or _merge_of(e.step, steps))
    shown: Iterable[Event | UnknownEvent | _Heading] = _folded_by_step(list(events)) if by_step else events
    try:
        for item in shown:
            if isinstance(item, _Heading):
                title = visible(item.title)
                out.print(f"\n── {title} " + "─" * max(0, 64 - len(title)), style="bold cyan", markup=False)
                continue
            line = event_line(item, detail=lines)
            if line is not None:
                out.print(line)
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_CANCELLED) from None  # stopped following; the run itself goes on
    diff = store.dir(header.run_id) / "final.diff"
    if diff.exists() and diff.stat().st_size:
        out.print(visible(f"\nfinal diff: {diff}"), markup=False)


@dataclass(frozen=True)
class _Heading:
    """Where a part of a timeline folded by step begins."""

    title: str


def _merge_of(label: str, steps: list[str]) -> bool:
    """Whether `label` is the conflict-resolving worker of one of `steps` (`merge-for-<step>`, `merge-<step>`)."""
    return any(label in (f"merge-for-{step}", f"merge-{step}") for step in steps)


def _steps_of(store: RunStore, run_id: str) -> set[str]:
    """The steps a run has: those of its plan and any that journaled an event (conflict resolvers among them)."""
    found: set[str] = set()
    for event in store.events(run_id):
        if isinstance(event, PlanMade):
            found.update(str(step.get("id", "")) for step in event.steps)
        elif event.step is not None:
            found.add(event.step)
    return found


def _folded_by_step(events: list[Event | UnknownEvent]) -> list[Event | UnknownEvent | _Heading]:
    """The run's start, then each step's events under a heading, in the plan's order (steps outside it, such as
    conflict resolvers, after, in the order they began), then the run's end."""
    by_step: dict[str, list[Event | UnknownEvent]] = {}
    head: list[Event | UnknownEvent | _Heading] = []
    tail: list[Event | UnknownEvent] = []
    planned: list[str] = []
    for event in events:
        if isinstance(event, PlanMade):
            planned = [str(step.get("id", "")) for step in event.steps]
        if event.step is not None:
            by_step.setdefault(event.step, []).append(event)
        else:
            (tail if by_step else head).append(event)
    order = [s for s in planned if s in by_step] + [s for s in by_step if s not in planned]
    for step in order:
        head += [_Heading(f"step {step}"), *by_step[step]]
    if tail:
        head.append(_Heading("the run"))
    return [*head, *tail]


@app.command(short_help="Accept, reject or retry a run.")
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
) -> None:
    """Show a run's result and checks and its diff, then accept it, reject it with a note, or retry it with a note."""
    from interns.agents.cli.review_view import show_review

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
            decision = review_gate.accept(store, header, force=force, minutes=minutes)
        elif reject is not None:
            decision = review_gate.reject(store, header, reject, minutes=minutes)
        else:
            assert retry is not None
            new_run = _retry(header, retry, model, runs_dir)
            decision = review_gate.reject(store, header, retry, retried_as=new_run, minutes=minutes)
    except review_gate.GateError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    out.print(f"{header.run_id}: {decision.decision}. {decision.detail}", markup=False)


def _retry(header: RunHeader, note: str, model: str | None, runs_dir: Path) -> str:
    """Run the task of `header` again with the person's note as feedback; the new run's id."""
    runner = runner_for(runs_dir)
    supervisor = runner.retry(header.run_id, note, model=model)
    print_warnings(runner)
    result = asyncio.run(supervisor.run())
    out.print(f"\nretry {result.run_id} {result.status}; review it with: interns review {result.run_id}", markup=False)
    return result.run_id


# Registered after the commands defined here, so `--help` lists them in the order a person meets them.
app.command(short_help="Make a folder of commented task files, one for each kind of workflow.")(init)
app.command(short_help="Start a task from a worked example: interns new NAME --from EXAMPLE.")(new)
app.command(short_help="Answer what a paused run waits for: approve, or --deny WHY.")(approve)
app.command(short_help="Go on with a run that paused, was interrupted or was cancelled.")(resume)
app.command(short_help="Review runs in a browser: plan, timeline, diffs, costs; accept or reject.")(view)
app.command(short_help="Per task: runs, cost, review minutes and the time saved.")(stats)
app.add_typer(sandbox_app, name="sandbox", short_help="Build the docker image; clean up after dead runs.")


def main() -> None:
    """Entry point of the `interns` console script."""
    os.environ.setdefault("PYDANTIC_AI_NO_BANNER", "1")  # our timeline is the output; no library banners in it
    setup_tracing(os.environ)  # only where OTEL_EXPORTER_OTLP_ENDPOINT names a collector
    try:
        app()
    except InternsError as error:  # every error raised on purpose ends here, with its exit code and no traceback
        err.print(visible(str(error)), style="red", markup=False)
        raise SystemExit(exit_code_of(error)) from None
    finally:
        shutdown_tracing()
