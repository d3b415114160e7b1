"""One streaming pass over a run's `events.jsonl`: where each line starts, which step it is in, and the run's tallies.

The pass keeps no event, only offsets and counters, and it resumes where it stopped: a live run's new lines are read
once each, as they arrive. Events are read as plain JSON (no model validation), so a type this version does not know
still gets its place and its line.
"""

from __future__ import annotations

import json
import os
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interns.journal.formats import upgrade_event
from interns.journal.viewer.findings import failure_of
from interns.journal.viewer.tally import Tally, whole

RUN_LEVEL = ""
"""The key of events that belong to no step: the run's start, plan, merges, notices and end."""
KEPT_PROBLEMS = 200
"""Distinct denials and approvals (by tool, target and rule) kept for the run page; all of them are counted."""
READ_CHUNK = 1 << 20
KEPT_TURNS = 300
"""Model turns of one step kept for the waterfall; all of them are counted in the tallies."""
KEPT_PATHS = 10_000
"""Paths whose writing steps are kept for the final diff."""
SENT_BACK_WIDTH = 200
"""Characters kept of the first line of the feedback an attempt was sent back with."""


@dataclass
class StepTrack:
    """One step as the journal tells it so far: its place in the plan, its state, and the lines that are its events."""

    id: str
    planned: bool = False
    instructions: str = ""
    needs: list[str] = field(default_factory=list)
    done_when: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    status: str = "pending"
    attempts: int = 0
    reason: str = ""
    summary: str = ""
    started: str | None = None
    finished: str | None = None
    tally: Tally = field(default_factory=Tally)
    lines: array[int] = field(default_factory=lambda: array("L"))
    """Line numbers (from 1) of this step's events, in order."""
    attempt_of_line: array[int] = field(default_factory=lambda: array("H"))
    """The attempt each of those events belongs to (0 before the first attempt)."""
    edits: array[int] = field(default_factory=lambda: array("L"))
    """Line numbers of the step's file writes and edits that went through."""
    check_run: int | None = None
    """Line number of the last command a check ran."""
    failure: dict[str, Any] | None = None
    """The last check that failed, as `findings.failure_of` tells it."""
    sent_back: list[str] = field(default_factory=list)
    """Why each attempt was sent back: the first line of its feedback (two when the first ends with a colon)."""
    last_check: dict[str, Any] | None = None
    """The step's last check: what it was, whether it passed, and its line."""
    turns: list[dict[str, Any]] = field(default_factory=list)
    """The step's first model turns (up to `KEPT_TURNS`): when, tokens in and out, cache reads, cost, line."""


class RunScan:
    """The streaming pass over one run's events, resumable: call `advance` again to read lines added since."""

    def __init__(self, events_path: Path) -> None:
        """Scan `events_path`; nothing is read until `advance`."""
        self.path = events_path
        self.version = 1
        self.offsets: array[int] = array("Q")
        """Where each complete line starts; line n (from 1) starts at `offsets[n - 1]`."""
        self.end = 0
        """Bytes read so far: the end of the last complete line."""
        self.identity: tuple[int, int] | None = None
        self.steps: dict[str, StepTrack] = {RUN_LEVEL: StepTrack(RUN_LEVEL)}
        self.plan_source = ""
        self.tally = Tally()
        self.denied: dict[tuple[str, str, str], dict[str, Any]] = {}
        """Refused calls, one entry per tool, target and rule, with how often and where."""
        self.approved: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.waiting: dict[str, dict[str, Any]] = {}
        """Approval requests not answered yet, by call id."""
        self.started: dict[str, Any] = {}
        self.finished: dict[str, Any] = {}
        self.kinds: dict[str, int] = {}
        self.changed_by: dict[str, list[str]] = {}
        """The steps whose workers wrote or edited each path with their file tools (a command's changes are not)."""

    @property
    def count(self) -> int:
        """Complete lines read so far."""
        return len(self.offsets)

    def advance(self) -> bool:
        """Read the lines written since the last call; False if the file was replaced or cut: scan it anew."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return self.end == 0
        identity = (stat.st_dev, stat.st_ino)
        if self.identity not in (None, identity) or stat.st_size < self.end:
            return False
        self.identity = identity
        if stat.st_size == self.end:
            return True
        with self.path.open("rb") as file:
            file.seek(self.end)
            pending = b""
            while chunk := file.read(READ_CHUNK):
                pending += chunk
                cut = pending.rfind(b"\n") + 1
                if cut:
                    self._read_lines(pending[:cut])
                    pending = pending[cut:]
        return True

    def _read_lines(self, block: bytes) -> None:
        start = 0
        for line in block.split(b"\n")[:-1]:
            self.offsets.append(self.end + start)
            start += len(line) + 1
            try:
                data = json.loads(line)
            except ValueError:
                data = None
            self._take(data if isinstance(data, dict) else {}, len(self.offsets))
        self.end += start

    def _take(self, data: dict[str, Any], n: int) -> None:
        """Count one event, line `n`, and file it under its step."""
        data = upgrade_event(data, self.version) if data else data
        kind = str(data.get("type", "unreadable"))
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        step_id = data.get("step")
        step = self._step(step_id if isinstance(step_id, str) else RUN_LEVEL)
        step.lines.append(n)
        if kind == "step_started":
            step.attempts = max(step.attempts, whole(data.get("attempt")))
            step.status = "running"
            step.started = step.started or data.get("ts")
        step.attempt_of_line.append(min(step.attempts, 65535))
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, step, data, n)

    def _step(self, step_id: str) -> StepTrack:
        step = self.steps.get(step_id)
        if step is None:
            step = self.steps[step_id] = StepTrack(step_id)
        return step

    def _tallies(self, step: StepTrack) -> tuple[Tally, ...]:
        return (self.tally, step.tally) if step.id != RUN_LEVEL else (self.tally,)

    def _on_run_started(self, step: StepTrack, data: dict[str, Any], n: int) -> None:
        self.started = data
        for step_id in data.get("steps") or []:
            if isinstance(step_id, str):
                self._step(step_id).planned = True

    def _on_plan(self, step: StepTrack, data: dict[str, Any], n: int) -> None:
        self.plan_source = str(data.get("source", ""))
        for item in data.get("steps") or []:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            planned = self._step(item["id"])
            planned.planned = True
            planned.instructions = str(item.get("instructions") or "")
            planned.needs = [str(need) for need in item.get("needs") or []]
            planned.done_when = [_check_text(check) for check in item.get("done_when") or []]
            planned.tools = [str(tool) for tool in item.get("tools") or []]

    def _on_model(self, step: StepTrack, data: dict[str, Any], n: int) -> None:
        usage = data.get("usage")
        if isinstance(usage, dict):
            for tally in self._tallies(step):
                tally.spend.add(usage)
            if step.id and len(step.turns) < KEPT_TURNS:
                step.turns.append(_turn(n, data.get("ts"), usage))

    def _on_policy(self, step: StepTrack, data: dict[str, Any], n: int) -> None:
        verdict, asked = data.get("verdict"), bool(data.get("asked"))
        if verdict != "deny" and not (asked and verdict == "allow"):
            return
        for tally in self._tallies(step):
            if verdict == "deny":
                tally.denials += 1
            else:
                tally.approvals += 1
        kept = self.denied if verdict == "deny" else self.approved
        key = (str(data.get("tool")), str(data.get("target")), str(data.get("rule")))
        if (seen := kept.get(key)) is not None:
            seen["count"] += 1
            seen["last_n"] = n
            if step.id and step.id not in seen["steps"]:
                seen["steps"].append(step.id)
        elif len(kept) < KEPT_PROBLEMS:
            fields = ("tool", "target", "rule", "reason", "asked")
            kept[key] = {"n": n, "last_n": n, "count": 1, "steps": [step.id] if step.id else []}
            kept[key] |= {field: data.get(field) for field in fields}

    def _on_approval_requested(self, step: StepTrack, data: dict[str, Any], n: int) -> None:
        fields = ("call_id", "tool", "target", "rule", "reason")
        self.waiting[str(data.get("call_id"))] = {"n": n, "step": step.id or None, **{k: data.get(k) for k in fields}}
        step.status = "awaiting_approval"

    def _on_approval_answered(self, step: StepTrack, data: dict[str, Any], n: int) -> None:
        self.waiting.pop(str(data.get("call_id")), None)

    def _on_tool(self, step: StepTrack, data: dict[str, Any], n: int) -> None:
        if data.get("ok") and data.get("tool") in ("write", "edit"):
            step.edits.append(n)
            args = data.get("args")
            path = args.get("path") if isinstance(args, dict) else None
            if isinstance(path, str) and step.id and len(self.changed_by) < KEPT_PATHS:
                steps = self.changed_by.setdefault(path.removeprefix("./"), [])
                if step.id not in steps:
                    steps.append(step.id)

    def _on_command(self, step: StepTrack, data: dict[str, Any], n: int) -> None:
        failed = data.get("exit_code") != 0 or bool(data.get("timed_out"))
        if data.get("by") == "check":
            step.check_run = n
        for tally in self._tallies(step):
            tally.commands += 1
            tally.failed_commands += failed

    def _on_check(self, step: StepTrack, data: dict[str, Any], n: int) -> None:
        if not data.get("passed"):
            step.failure = failure_of(data, n, step.check_run)
        fields = {"command": str(data.get("command") or ""), "kind": str(data.get("kind") or "command")}
        step.last_check = {"n": n, "passed": bool(data.get("passed"))} | fields
        for tally in self._tallies(step):
            if data.get("passed"):
                tally.checks_passed += 1
            else:
                tally.checks_failed += 1

    def _on_retry(self, step: StepTrack, data: dict[str, Any], n: int) -> None:
        lines = [line.strip() for line in str(data.get("feedback") or "").splitlines() if line.strip()]
        # "The check failed:" says little without the line that follows it.
        said = " ".join(lines[:2]) if lines and lines[0].endswith(":") else (lines[0] if lines else "")
        step.sent_back.append(said[:SENT_BACK_WIDTH] or "(no feedback)")
        for tally in self._tallies(step):
            tally.retries += 1

    def _on_step_finished(self, step: StepTrack, data: dict[str, Any], n: int) -> None:
        step.status = str(data.get("status", "finished"))
        step.attempts = max(step.attempts, whole(data.get("attempts")))
        step.reason = str(data.get("reason") or "")
        step.summary = str(data.get("summary") or "")
        step.finished = data.get("ts")

    def _on_run_finished(self, step: StepTrack, data: dict[str, Any], n: int) -> None:
        self.finished = data


_HANDLERS = {
    "run_started": RunScan._on_run_started,
    "plan_made": RunScan._on_plan,
    "model_response": RunScan._on_model,
    "policy_decision": RunScan._on_policy,
    "approval_requested": RunScan._on_approval_requested,
    "approval_answered": RunScan._on_approval_answered,
    "tool_call": RunScan._on_tool,
    "command_run": RunScan._on_command,
    "check_result": RunScan._on_check,
    "step_retry": RunScan._on_retry,
    "step_finished": RunScan._on_step_finished,
    "run_finished": RunScan._on_run_finished,
}


def _turn(n: int, ts: object, usage: dict[str, Any]) -> dict[str, Any]:
    """One model turn for the waterfall: when, tokens in and out, cache reads, cost, and its line."""
    cost = usage.get("cost_usd")
    return {
        "n": n,
        "ts": ts if isinstance(ts, str) else None,
        "in": whole(usage.get("input_tokens")),
        "out": whole(usage.get("output_tokens")),
        "cached": whole(usage.get("cache_read_tokens")),
        "cost": cost if isinstance(cost, int | float) else None,
    }


def _check_text(check: object) -> str:
    """A `done_when` entry in a few words: a command as written, a built-in check as `key: what it looks at`."""
    if not isinstance(check, dict):
        return str(check)
    parts = []
    for position, (key, value) in enumerate(check.items()):
        if isinstance(value, dict):
            value = ", ".join(f"{k} {_short(v)}" for k, v in value.items() if v not in (None, [], ""))
        if value not in (None, [], ""):
            parts.append(f"{key}: {_short(value)}")
        elif position == 0:  # the check's own key, with its defaults
            parts.append(str(key))
    return "; ".join(parts)


def _short(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
