"""What `interns show` says first: a line per step (the viewer's strip), the failing check, the next thing to do,
and the kinds of event `--only` keeps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from interns.agents.cli.styles import STATUS_STYLE
from interns.agents.gate import review as review_gate
from interns.agents.gate.visible import visible
from interns.journal import (
    ApprovalAnswered,
    CheckResult,
    CommandRun,
    Event,
    PolicyDecision,
    RunFinished,
    RunHeader,
    RunStore,
    StepFinished,
    StepRetry,
    ToolCall,
    UnknownEvent,
)

__all__ = ["ONLY_KINDS", "failure_of_run", "next_step", "only", "print_failure", "print_summary"]

AnyEvent = Event | UnknownEvent
MARKS = {"succeeded": "✓", "failed": "✗", "unfinished": "✗", "limit_exceeded": "✗", "running": "…"}


def _failed(event: AnyEvent) -> bool:
    match event:
        case CommandRun():
            return event.exit_code != 0 or event.timed_out
        case ToolCall():
            return not event.ok
        case CheckResult():
            return not event.passed
        case StepFinished() | RunFinished():
            return event.status != "succeeded"
        case StepRetry():
            return True
    return False


ONLY_KINDS: dict[str, Callable[[AnyEvent], bool]] = {
    "denied": lambda e: (
        (isinstance(e, PolicyDecision) and e.verdict == "deny") or (isinstance(e, ApprovalAnswered) and not e.approved)
    ),
    "approved": lambda e: (
        (isinstance(e, PolicyDecision) and e.asked and e.verdict == "allow")
        or (isinstance(e, ApprovalAnswered) and e.approved)
    ),
    "failed": _failed,
    "checks": lambda e: isinstance(e, CheckResult) or (isinstance(e, CommandRun) and e.by == "check"),
    "commands": lambda e: isinstance(e, CommandRun),
    "steps": lambda e: isinstance(e, StepFinished | StepRetry | RunFinished),
}
"""The kinds of event `interns show --only` keeps, by name."""


def only(names: str) -> Callable[[AnyEvent], bool]:
    """A filter keeping the events of any of the comma-separated kinds in `names`; ValueError names an unknown one."""
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    if unknown := [name for name in wanted if name not in ONLY_KINDS]:
        raise ValueError(f"--only: {', '.join(unknown)} is not one of {', '.join(ONLY_KINDS)}")
    tests = [ONLY_KINDS[name] for name in wanted]
    return lambda event: any(test(event) for test in tests)


def print_summary(console: Console, store: RunStore, run_id: str) -> None:
    """A line per step: its outcome, attempts and why each was sent back, refusals, its last check; then the failure."""
    from interns.journal.viewer import RunViews  # the viewer's package loads only for a summary

    summary = RunViews(store).summary(run_id)
    steps = summary["plan"]["steps"]
    console.print("what happened", style="bold", markup=False)
    if not steps:
        console.print("  no step has started", style="dim", markup=False)
    width = max((len(step["id"]) for step in steps), default=0)
    for step in steps:
        console.print(_step_line(step, width))
        for n, reason in enumerate(step["sent_back"], 1):
            sent_back = visible(f"      attempt {n} sent back: {reason}", one_line=True)
            console.print(sent_back, style="yellow", markup=False)
    print_failure(console, summary["failure"])


def print_failure(console: Console, failure: dict[str, Any] | None) -> None:
    """The check that failed the run: where, what it found, the telling lines of its output (the viewer's banner)."""
    if failure:
        where = f" in {failure['step']}" if failure["step"] else ""
        links = f"event #{failure['n']}" + (f", its command #{failure['command_n']}" if failure["command_n"] else "")
        failed = visible(f"the check that failed{where}: {failure['check']}  ({links})", one_line=True)
        console.print(failed, style="red", markup=False)
        for finding in failure["findings"]:
            console.print(visible(f"  - {finding}", one_line=True), markup=False)
        if failure["excerpt"]:
            console.print(Text(visible(failure["excerpt"]), style="dim"), markup=False)


def failure_of_run(store: RunStore, run_id: str) -> dict[str, Any] | None:
    """The failing check behind the run, as the viewer's failure banner has it; None if no check failed it."""
    from interns.journal.viewer import RunViews  # the viewer's package loads only for a summary

    failure: dict[str, Any] | None = RunViews(store).summary(run_id)["failure"]
    return failure


def _step_line(step: dict[str, Any], width: int) -> Text:
    status = step["status"]
    line = Text("  ")
    line.append(f"{MARKS.get(status, '•')} {visible(step['id'], one_line=True):<{width}}  ", style="bold")
    line.append(status, style=STATUS_STYLE.get(status, ""))
    parts = [f"{step['attempts']} attempt{'s' if step['attempts'] != 1 else ''}"] if step["attempts"] else []
    if denials := step["tally"]["denials"]:
        parts.append(f"{denials} refusal{'s' if denials != 1 else ''}")
    if check := step["last_check"]:
        parts.append(f"last check {'passed' if check['passed'] else 'FAILED'}: {check['command']}")
    if status == "awaiting_approval":
        parts.append("waits for a person")
    line.append(visible("  " + " · ".join(parts), one_line=True) if parts else "")
    return line


def next_step(header: RunHeader, runs_dir: Path, prog: str) -> str | None:
    """What a person can do next with the run, as a command to type; None when nothing waits for them."""
    run_id = header.run_id
    decided = review_gate.decision_of(runs_dir / "runs" / run_id) is not None
    if header.status == "awaiting_approval":
        return f'next: {prog} approve {run_id}   (or --deny "why"), then: {prog} resume {run_id}'
    if header.status in ("interrupted", "cancelled") and not decided:
        return f"next: {prog} resume {run_id}   (it goes on where it stopped)"
    if header.status == "running" or decided:
        return None
    if header.status == "succeeded":
        return f"next: {prog} review {run_id}   (then --accept, or --reject / --retry with a note)"
    return f'next: {prog} review {run_id} --retry "what to do differently"   (or --reject "why")'
