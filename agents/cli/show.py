"""`interns show`: one run's timeline (live, by step, or as JSON)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.text import Text

from interns.agents.cli.common import (
    DEFAULT_RUNS_DIR,
    EXIT_CANCELLED,
    PROG,
    RunRef,
    RunsDir,
    fail,
    out,
)
from interns.agents.cli.summary import ONLY_KINDS, failure_of_run, next_step, only, print_failure, print_summary
from interns.agents.cli.timeline import STATUS_STYLE, event_line, usage_text
from interns.agents.gate.visible import visible, visible_json, visible_markup
from interns.journal import (
    Event,
    ModelResponse,
    PlanMade,
    RunHeader,
    RunLookupError,
    RunStore,
    UnknownEvent,
    Usage,
)

__all__ = ["show"]

ONLY_NAMES = ", ".join(ONLY_KINDS)


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
    summary: Annotated[
        bool, typer.Option("--summary", help="Only a line per step (attempts, refusals, last check) and the failure.")
    ] = False,
    only_kinds: Annotated[
        str | None,
        typer.Option("--only", metavar="KINDS", help=f"Only these kinds of event, comma-separated: {ONLY_NAMES}."),
    ] = None,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """Print the timeline of one run: steps, model turns, tool calls, policy decisions, commands and checks.

    On a terminal, a timeline longer than the screen goes through a pager ($PAGER, else less).
    """
    if by_step and follow:
        raise fail("--by-step needs the whole run; use --step STEP with --follow to watch one step")
    try:
        keep = only(only_kinds) if only_kinds else None
    except ValueError as exc:
        raise fail(str(exc)) from None
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

    def print_run() -> None:
        _print_run(header, store, summary=summary, keep=keep, lines=lines, steps=steps, by_step=by_step, follow=follow)
        # Read again after following: the run may have ended, or paused, meanwhile.
        if hint := next_step(store.load(header.run_id) if follow else header, runs_dir, PROG):
            out.print(visible(f"\n{hint}"), style="bold", markup=False)

    if out.is_terminal and not follow:
        with out.capture() as captured:
            print_run()
        _page(captured.get())
    else:
        print_run()


def _print_run(
    header: RunHeader,
    store: RunStore,
    *,
    summary: bool,
    keep: Callable[[Event | UnknownEvent], bool] | None,
    lines: int,
    steps: list[str] | None,
    by_step: bool = False,
    follow: bool = False,
) -> None:
    from interns.agents.cli.follow import follow_events

    model = f"{header.model} (scripted, not a real model)" if header.scripted else header.model
    goal = header.goal.strip().splitlines()[0] if header.goal.strip() else ""
    out.print(f"run {header.run_id}", style="bold", markup=False)
    out.print(visible(f"  task      {header.task}: {goal}"), markup=False)
    out.print(visible(f"  model     {model}"), markup=False)
    out.print(visible(f"  workspace {header.workspace}"), markup=False)
    status = STATUS_STYLE.get(header.status, "default")
    out.print(f"  status    [{status}]{header.status}[/] {visible_markup(header.reason)}")
    out.print(f"  usage     {usage_text(header.usage)}\n", markup=False)
    if summary:
        print_summary(out, store, header.run_id)
        return
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
    if keep is not None:
        events = (e for e in events if keep(e))
    shown: Iterable[Event | UnknownEvent | _Heading] = _folded_by_step(list(events)) if by_step else events
    spent = Usage()
    try:
        for item in shown:
            if isinstance(item, _Heading):
                title = visible(item.title)
                out.print(f"\n── {title} " + "─" * max(0, 64 - len(title)), style="bold cyan", markup=False)
                continue
            line = event_line(item, detail=lines)
            if follow and isinstance(item, ModelResponse):
                spent = spent + item.usage
                if isinstance(line, Text):
                    line.append(f"  run so far: {usage_text(spent)}", style="bold dim")
            if line is not None:
                out.print(line)
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_CANCELLED) from None  # stopped following; the run itself goes on
    diff = store.dir(header.run_id) / "final.diff"
    if diff.exists() and diff.stat().st_size:
        out.print(visible(f"\nfinal diff: {diff}"), markup=False)
    ended_badly = header.status not in ("succeeded", "running")
    if not follow and ended_badly and (failure := failure_of_run(store, header.run_id)):
        out.print("")
        print_failure(out, failure)


def _page(text: str) -> None:
    """Show `text` as it was rendered for this terminal: through a pager when it is longer than the screen."""
    if text.count("\n") < out.height:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    # The person's own pager, as git uses it; less keeps the colours (R) and the screen (X).
    command = os.environ.get("PAGER") or "less"
    env = os.environ | {"LESS": os.environ.get("LESS", "FRX")}
    try:
        subprocess.run(command, shell=True, input=text.encode("utf-8", "replace"), env=env, check=False)
    except OSError:
        sys.stdout.write(text)


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
