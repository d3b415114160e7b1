"""Replay: a recorded run's model turns played again, with real tools and sandbox, against the same or a changed task.

No model is called. Each worker's turns come from its conversation in `messages/` (the full one, whatever its model
was sent); the supervisor's reviews, plan and rubric verdicts, and the workers' summaries, from their journal events.
They become a script (kept at `<runs>/replays/<run-id>.yaml`, so the replay can be run again), played by a new run
linked to the original (`replay_of`). Comparing the two journals says what a changed task file changes: the calls
now refused or allowed and by which rule, the checks that now pass or fail, and how each step ended.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic_ai.messages import ModelMessagesTypeAdapter, ModelResponse, TextPart

from interns import tasks
from interns.agents.runtime.runner import Runner, scripted_agents
from interns.agents.runtime.supervisor import Supervisor
from interns.errors import RunError
from interns.journal import (
    ApprovalRequested,
    CheckResult,
    ContextCompacted,
    Event,
    PlanMade,
    PolicyDecision,
    ReviewVerdict,
    RunStore,
    StepFinished,
    UnknownEvent,
)
from interns.journal.run import MESSAGES_DIR
from interns.sandbox.workspace.tree_scan import shown
from interns.tasks.spec import SandboxKind

__all__ = [
    "REPLAYS_DIR",
    "CannotReplay",
    "Difference",
    "compare",
    "differences_json",
    "replay_script",
    "start_replay",
    "write_script",
]

REPLAYS_DIR = "replays"
"""Where, under the journal root, the script of each replayed run is kept."""
NO_TURNS = "(run {run} recorded no turn for this agent)"


class CannotReplay(RunError):
    """The run cannot be replayed; the message says why."""


@dataclass(frozen=True)
class Difference:
    """One way the replay's outcome differs from the original's."""

    step: str
    kind: str
    """`refused` (a call now refused), `asked` (now needs a person's yes), `allowed` (no longer refused),
    `rule` (judged the same, by another rule), `not_reached` / `new` (a call made in only one of the runs),
    `check` (a check that now passes or fails), `step` (the step ended otherwise)."""
    text: str

    def __str__(self) -> str:
        return f"[{self.step}] {self.text}"


def _turn(response: ModelResponse) -> dict[str, Any] | None:
    """A worker's response as a script turn: its text, then its tool calls or its final answer."""
    text = "".join(p.content for p in response.parts if isinstance(p, TextPart))
    calls = [{call.tool_name: call.args_as_dict()} for call in response.tool_calls]
    if calls:
        return {"text": text, "calls": calls} if text else {"calls": calls}
    return {"final": text}


def _worker_turns(run_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Each worker's turns, in order, from the conversations the run saved."""
    turns: dict[str, list[dict[str, Any]]] = {}
    folder = run_dir / MESSAGES_DIR
    for path in sorted(folder.glob("*.json")) if folder.is_dir() and not folder.is_symlink() else []:
        try:
            messages = ModelMessagesTypeAdapter.validate_json(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise CannotReplay(f"the conversation in {path} cannot be read: {exc}") from None
        played = [t for m in messages if isinstance(m, ModelResponse) and (t := _turn(m)) is not None]
        turns[path.stem] = played
    return turns


def _supervisor_turns(events: Iterable[Event | UnknownEvent]) -> dict[str, list[dict[str, Any]]]:
    """The supervisor's answers (plan, reviews, rubric verdicts) and the workers' summaries, as script turns."""
    turns: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        if isinstance(event, PlanMade) and event.source == "supervisor":
            turns.setdefault("plan", []).append({"final": {"steps": event.steps}})
        elif isinstance(event, ReviewVerdict):
            answer = {"decision": event.decision, "notes": event.notes}
            turns.setdefault(f"{event.step}.review", []).append({"final": answer})
        elif isinstance(event, CheckResult) and event.kind == "rubric":
            agent = f"{event.step}.rubric" if event.step else "rubric"
            turns.setdefault(agent, []).append({"final": {"passed": event.passed, "reasoning": event.output}})
        elif isinstance(event, ContextCompacted) and event.step:
            turns.setdefault(f"{event.step}.summary", []).append({"final": event.summary})
    return turns


def replay_script(store: RunStore, run_id: str, agents: Sequence[str] = ()) -> dict[str, list[dict[str, Any]]]:
    """The script that plays run `run_id`'s recorded turns; each of `agents` with no turn gets one saying so."""
    script = _worker_turns(store.dir(run_id)) | _supervisor_turns(store.events(run_id))
    for agent in agents:
        if not script.get(agent):
            script[agent] = [{"final": _unrecorded(agent, run_id)}]
    return script


def _unrecorded(agent: str, run_id: str) -> str | dict[str, Any]:
    """The answer of an agent the original run never heard from: never one that lets work through unseen."""
    said = NO_TURNS.format(run=run_id)
    if agent.endswith(".review"):
        return {"decision": "revise", "notes": said}
    if agent == "rubric" or agent.endswith(".rubric"):
        return {"passed": False, "reasoning": said}
    return said


def start_replay(
    runner: Runner, run_ref: str, task_file: Path | None = None, sandbox: SandboxKind | None = None
) -> tuple[Supervisor, str]:
    """A new run that plays run `run_ref`'s recorded turns against `task_file` (default: the task file it ran, as
    that file is now), in `sandbox` if given; and the original run's id."""
    from interns.agents.gate.review import run_started  # the gate reads the journal; imported where it is used

    store = RunStore(runner.runs_dir)
    header = store.load(run_ref)
    if header.status == "running":
        raise CannotReplay(f"run {header.run_id} is still going; replay it once it has stopped")
    if task_file is None:
        recorded = run_started(store, header.run_id).task_file
        if not recorded or not Path(recorded).exists():
            raise CannotReplay(f"the task file of run {header.run_id} is gone ({recorded or 'unknown'}); name one")
        task_file = Path(recorded)
    agents = scripted_agents(tasks.load(task_file))
    script = write_script(store, runner.runs_dir, header.run_id, agents)
    supervisor = runner.start(task_file, model=f"scripted:{script}", sandbox=sandbox, replay_of=header.run_id)
    return supervisor, header.run_id


def write_script(store: RunStore, runs_dir: Path, run_id: str, agents: Sequence[str] = ()) -> Path:
    """Write the replay script of run `run_id` under the journal root; return its path."""
    path = runs_dir / REPLAYS_DIR / f"{run_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    header = f"# The recorded model turns of run {run_id}, played by `interns replay`.\n"
    path.write_text(header + yaml.safe_dump(replay_script(store, run_id, agents), sort_keys=False), encoding="utf-8")
    return path


def _call(decision: PolicyDecision) -> str:
    return f"{decision.tool} {shown(decision.target)}"


def _decisions(events: Iterable[Event | UnknownEvent]) -> dict[str, list[PolicyDecision]]:
    """Each step's policy decisions on the worker's calls, in order (those judged on disk after a step excluded)."""
    found: dict[str, list[PolicyDecision]] = {}
    for event in events:
        if isinstance(event, ApprovalRequested) and event.step:  # with no one to ask, the step paused on it
            asked = PolicyDecision(tool=event.tool, target=event.target, verdict="ask", rule=event.rule, reason="")
            found.setdefault(event.step, []).append(asked)
        elif isinstance(event, PolicyDecision) and event.step and "(found on disk)" not in event.reason:
            found.setdefault(event.step, []).append(event)
    return found


def _verdict(decision: PolicyDecision) -> str:
    return f"{decision.verdict} ({decision.rule})"


def _compare_calls(step: str, before: list[PolicyDecision], after: list[PolicyDecision]) -> list[Difference]:
    """The calls of one step judged otherwise, matched in order by tool and target."""
    differences = []
    waiting = list(before)
    for decision in after:
        match = next((d for d in waiting if (d.tool, d.target) == (decision.tool, decision.target)), None)
        if match is None:
            differences.append(Difference(step, "new", f"{_call(decision)}: {_verdict(decision)}, not made before"))
            continue
        waiting.remove(match)
        was, now = match.verdict, decision.verdict
        if (was, now) == ("allow", "allow") or (was == now and match.rule == decision.rule):
            continue
        if now == "deny":
            kind, said = "refused", f"now REFUSED by {decision.rule}: {decision.reason}"
        elif now == "ask" or (decision.asked and not match.asked):
            kind, said = "asked", f"now needs a person's yes ({decision.rule})"
        elif was == "deny":
            kind, said = "allowed", f"now allowed ({decision.rule}); was refused by {match.rule}"
        else:
            kind, said = "rule", f"still {now}, now by {decision.rule} (was {match.rule})"
        differences.append(Difference(step, kind, f"{_call(decision)}: {said}"))
    differences += [Difference(step, "not_reached", f"{_call(d)}: not reached in the replay") for d in waiting]
    return differences


def _checks(events: Iterable[Event | UnknownEvent]) -> dict[tuple[str, str], bool]:
    """The last result of each check, by step and check."""
    return {(e.step or "task", e.command): e.passed for e in events if isinstance(e, CheckResult)}


def _ends(events: Iterable[Event | UnknownEvent]) -> dict[str, StepFinished]:
    return {e.step: e for e in events if isinstance(e, StepFinished) and e.step}


def compare(original: Sequence[Event | UnknownEvent], replay: Sequence[Event | UnknownEvent]) -> list[Difference]:
    """Where the replay's outcome differs from the original's: calls, checks and how each step ended."""
    differences: list[Difference] = []
    before, after = _decisions(original), _decisions(replay)
    for step in dict.fromkeys([*before, *after]):
        differences += _compare_calls(step, before.get(step, []), after.get(step, []))
    was, now = _checks(original), _checks(replay)
    for key in dict.fromkeys([*was, *now]):
        step, check = key
        if key not in now:
            differences.append(Difference(step, "check", f"check {check!r}: not run in the replay"))
        elif key not in was:
            state = "passes" if now[key] else "FAILS"
            differences.append(Difference(step, "check", f"check {check!r}: {state}, not run before"))
        elif was[key] != now[key]:
            state = "now passes" if now[key] else "now FAILS"
            differences.append(Difference(step, "check", f"check {check!r}: {state}"))
    ended, ends = _ends(original), _ends(replay)
    for step in dict.fromkeys([*ended, *ends]):
        old, new = ended.get(step), ends.get(step)
        old_status, new_status = old.status if old else "not run", new.status if new else "not run"
        if old_status != new_status:
            why = f": {new.reason}" if new is not None and new.reason else ""
            differences.append(Difference(step, "step", f"step {old_status} before, {new_status} now{why}"))
    return differences


def differences_json(differences: Sequence[Difference]) -> str:
    """The differences as JSON, for scripts."""
    return json.dumps([{"step": d.step, "kind": d.kind, "text": d.text} for d in differences], indent=2)
