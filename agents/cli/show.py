"""`interns runs` and `interns show`: the list of runs, and one run's timeline (live, by step, or as JSON)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, cast, get_args

import typer
from rich.table import Table

from interns.agents.cli.common import (
    DEFAULT_RUNS_DIR,
    EXIT_CANCELLED,
    RunRef,
    RunsDir,
    err,
    fail,
    out,
)
from interns.agents.cli.timeline import STATUS_STYLE, event_line, usage_text
from interns.agents.gate import review as review_gate
from interns.agents.gate.visible import visible, visible_json, visible_markup
from interns.journal import Event, PlanMade, RunLookupError, RunStatus, RunStore, UnknownEvent

if TYPE_CHECKING:
    pass

__all__ = ["list_runs", "show"]

RUN_STATUSES: tuple[str, ...] = get_args(RunStatus)


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
