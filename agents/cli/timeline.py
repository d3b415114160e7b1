"""Rendering run events for the terminal: one line each, live during a run and again in `interns show`."""

from __future__ import annotations

import shlex
from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text

from interns.agents.cli.styles import STATUS_STYLE
from interns.agents.gate.visible import visible
from interns.journal import (
    ApprovalAnswered,
    ApprovalRequested,
    CheckResult,
    CommandRun,
    ContextCompacted,
    Event,
    MergeResult,
    ModelResponse,
    ModelRetried,
    NetworkConnection,
    Notice,
    PlanMade,
    PolicyDecision,
    ReviewVerdict,
    RunFinished,
    RunResumed,
    RunStarted,
    StepFinished,
    StepRetry,
    StepStarted,
    ToolCall,
    UnknownEvent,
    Usage,
)

__all__ = ["STATUS_STYLE", "event_line", "fold", "shown_event", "usage_text"]


def usage_text(usage: Usage) -> str:
    """Tokens, cache reads and cost in a few words."""
    parts = [f"{usage.total_tokens:,} tokens"]
    if usage.cache_read_tokens:
        parts.append(f"{usage.cache_read_tokens:,} cached")
    parts.append(f"${usage.cost_usd:.4f}" if usage.cost_usd is not None else "cost n/a")
    return ", ".join(parts)


OUTPUT_TOOL = "final_result"
"""The tool name pydantic-ai gives an agent's structured answer."""

LINE_WIDTH = 240
"""Characters of one output line shown in a timeline."""

FINDINGS_SHOWN = 5
"""Lines of a failing built-in check's findings shown under it when no more detail is asked for."""


def fold(text: str, lines: int) -> str:
    """The first `lines` lines of a text, each cut to a readable width, saying how much more there is."""
    rows = [row if len(row) <= LINE_WIDTH else row[:LINE_WIDTH] + " …" for row in text.rstrip().splitlines()]
    if len(rows) <= lines:
        return "\n".join(rows)
    return "\n".join([*rows[:lines], f"… {len(rows) - lines} more lines"])


def _call_label(call: dict[str, Any]) -> str:
    """A tool call in a few words: the tool and what it acts on."""
    args = call.get("args") or {}
    target = next((args[k] for k in ("path", "command", "pattern") if isinstance(args.get(k), str)), "")
    target = target.replace("\n", " ")
    return f"{call.get('tool', '?')} {target[:60]}{'…' if len(target) > 60 else ''}".rstrip()


def _step_label(step: dict[str, object]) -> str:
    needs = step.get("needs") or []
    return f"{step.get('id')}" + (f" (after {', '.join(map(str, needs))})" if isinstance(needs, list) and needs else "")


def _when(event: Event | UnknownEvent) -> Text:
    return Text(event.ts.strftime("%H:%M:%S "), style="dim")


def shown_event(event: Event | UnknownEvent) -> Event | UnknownEvent:
    """A copy of the event with every string in it made visible: a model or a sandbox wrote most of them."""
    fields = type(event).model_fields
    return event.model_copy(update={name: _visible_strings(getattr(event, name)) for name in fields})


def _visible_strings(value: Any) -> Any:
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {_visible_strings(key): _visible_strings(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_visible_strings(item) for item in value)
    return value


def event_line(event: Event | UnknownEvent, *, detail: int = 0) -> RenderableType | None:
    """One event as a terminal line; `detail` > 0 adds up to that many lines of output under commands and checks.

    Every string of the event is shown with its control characters made visible, and as plain text, never markup.
    """
    event = shown_event(event)
    line = _when(event)
    body: str | None = None
    match event:
        case RunStarted():
            sandbox = f" in {event.sandbox}" if event.sandbox else ""
            line.append(f"run of '{event.task}' started with {event.model}{sandbox}", style="bold")
            line.append(": " if event.steps else "")
            line.append(" → ".join(event.steps))
        case PlanMade():
            line.append("plan" if event.source == "task" else "plan written by the supervisor", style="bold")
            line.append(": " + ", ".join(_step_label(s) for s in event.steps))
        case ReviewVerdict():
            line.append(f"[{event.step}] ", style="cyan")
            accepted = event.decision == "accept"
            line.append("review: accepted" if accepted else "review: revise", style="green" if accepted else "yellow")
            if event.notes:
                line.append(f" — {event.notes.strip().splitlines()[0][:160]}")
        case MergeResult():
            line.append("merged " if event.ok else "merge CONFLICT ", style="green" if event.ok else "bold yellow")
            line.append(event.branch)
            if event.conflicts:
                line.append(" in " + ", ".join(event.conflicts))
        case StepStarted():
            line.append(f"[{event.step}] ", style="bold cyan")
            if event.resumed:
                line.append(f"goes on with attempt {event.attempt}, after the answers")
            else:
                line.append("started" if event.attempt == 1 else f"attempt {event.attempt}")
        case ApprovalRequested():
            line.append(f"[{event.step}] ", style="cyan")
            line.append(f"WAITS FOR APPROVAL {event.tool} ", style="bold yellow")
            line.append(f"{event.target} — {event.reason} ({event.rule}); request {event.call_id}")
        case ApprovalAnswered():
            line.append(f"[{event.step}] ", style="cyan")
            line.append("a person approved" if event.approved else "a person refused", style="bold")
            line.append(f" request {event.call_id}" + (f": {event.reason}" if event.reason else ""))
        case RunResumed():
            line.append(f"run resumed after it was {event.after}", style="bold")
            if event.from_step:
                line.append(f", from step {event.from_step} as it stands")
            if event.done:
                line.append(f"; done already: {', '.join(event.done)}")
            if event.resumed:
                line.append(f"; going on: {', '.join(event.resumed)}")
        case ModelResponse() if not event.text.strip() and all(c.get("tool") == OUTPUT_TOOL for c in event.tool_calls):
            return None  # a structured answer (a plan, a review): its own event says what it was
        case ModelResponse():
            line.append(f"[{event.step}] ", style="cyan")
            said = event.text.strip().replace("\n", " ")
            calls = ", ".join(_call_label(c) for c in event.tool_calls)
            line.append("model: ", style="dim")
            line.append((said[:100] + ("…" if len(said) > 100 else "")) if said else "")
            if calls:
                line.append(f"{' ' if said else ''}→ {calls}", style="blue")
            line.append(f"  ({event.usage.total_tokens:,} tokens)", style="dim")
        case ContextCompacted():
            line.append(f"[{event.step}] ", style="cyan")
            line.append(f"context compacted: {event.turns} earlier turns summarized", style="magenta")
            line.append(f" ({event.tokens_before:,} → {event.tokens_after:,} tokens of {event.budget:,})", style="dim")
            body = event.summary
        case ModelRetried():
            line.append(f"[{event.step}] " if event.step else "[supervisor] ", style="cyan")
            wait = f" after {event.wait_seconds:g} s" if event.wait_seconds is not None else ""
            line.append(f"model API: HTTP {event.status}, retry {event.attempt}{wait}", style="yellow")
        case PolicyDecision() if event.verdict != "allow" or event.asked:
            line.append(f"[{event.step}] ", style="cyan")
            style = "bold red" if event.verdict == "deny" else "bold green"
            line.append(f"{'DENIED' if event.verdict == 'deny' else 'APPROVED'} {event.tool} ", style=style)
            line.append(f"{event.target} — {event.reason} ({event.rule})")
        case PolicyDecision():
            return None
        case ToolCall() if event.tool == "run" or event.ok or event.result.startswith("Refused by policy"):
            return None
        case ToolCall():
            line.append(f"[{event.step}] ", style="cyan")
            line.append(f"{event.tool} failed: ", style="yellow")
            line.append(event.result.splitlines()[0] if event.result else "")
        case CommandRun():
            line.append(f"[{event.step or 'task'}] ", style="cyan")
            style = "green" if event.exit_code == 0 and not event.timed_out else "red"
            line.append("$ " if event.by == "worker" else f"{event.by} $ ", style="dim")
            command = event.argv[2] if event.argv[:2] == ["bash", "-c"] else shlex.join(event.argv)
            line.append(command[:120])
            outcome = "timed out" if event.timed_out else f"exit {event.exit_code}"
            line.append(f"  {outcome}", style=style)
            line.append(f" in {event.duration:.2f}s", style="dim")
            body = (event.stdout + ("\n" + event.stderr if event.stderr else "")).strip()
            if event.truncated:
                body += "\n[the output was longer; only its start was kept]"
        case NetworkConnection():
            line.append(f"[{event.step or 'setup'}] ", style="cyan")
            line.append("net allowed " if event.allowed else "net REFUSED ", style="green" if event.allowed else "red")
            line.append(f"{event.method} {event.host}:{event.port}")
            if event.allowed:
                added = ", credential added" if event.credential else ""
                line.append(f"  by '{event.rule}'{added}, {event.sent:,} B up, {event.received:,} B down", style="dim")
            else:
                line.append(f"  {event.reason}", style="dim")
        case CheckResult():
            line.append(f"[{event.step or 'task'}] ", style="cyan")
            line.append(
                "check passed: " if event.passed else "check FAILED: ", style="green" if event.passed else "red"
            )
            line.append(event.command)
            if event.kind != "command":  # a command's output is shown under its own CommandRun
                body = "\n".join(event.findings) or event.output
                if event.notes and event.passed:  # corrections, and the judge's reasons for what it let pass
                    body = "\n".join(event.notes)
            if body and (not event.passed or event.notes):  # what a built-in check found shows even in the live view
                shown = fold(body, max(detail, FINDINGS_SHOWN))
                return Group(line, Padding(Text(shown), (0, 0, 0, 11), expand=False))
        case StepRetry():
            line.append(f"[{event.step}] ", style="cyan")
            line.append(f"sent back for attempt {event.attempt} with the failing output", style="yellow")
        case StepFinished():
            line.append(f"[{event.step}] ", style="bold cyan")
            line.append(event.status, style=STATUS_STYLE.get(event.status, ""))
            line.append(f" after {event.attempts} attempt{'s' if event.attempts != 1 else ''}")
            if event.reason:
                line.append(f": {event.reason}")
            line.append(f"  ({usage_text(event.usage)})", style="dim")
            body = event.summary
        case Notice():
            style = {"info": "dim", "warning": "yellow", "error": "bold red"}[event.level]
            line.append(event.message, style=style)
        case RunFinished():
            line.append("run ", style="bold")
            line.append(event.status, style=STATUS_STYLE.get(event.status, ""))
            if event.failed_step:
                line.append(f" at step '{event.failed_step}'")
            if event.reason:
                line.append(f": {event.reason}")
            line.append(f"  ({usage_text(event.usage)})", style="dim")
        case UnknownEvent():
            line.append(f"an event of a kind this version does not know: {event.type}", style="dim")
        case _:
            return None
    if detail and body:
        return Group(line, Padding(Text(fold(body, detail), style="dim"), (0, 0, 0, 11), expand=False))
    return line
