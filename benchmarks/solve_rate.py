"""Solve rate: N attempts at each task with one real model, through interns and through mini-swe-agent 2.4.6.

Both agents talk to the same OpenAI-compatible server (`--base-url`, e.g. the local model of `local_model.py`) with
the same model settings (temperature, max_tokens) and the same wall-clock limit per attempt, and are judged alike
(`solve_tasks.judge`). Attempts are interleaved, task by task and agent by agent, the agent going first alternating,
so a change in the machine's load hits both. interns runs its CLI as a person does (`interns run`, the task's own
sandbox and guardrails); mini-swe-agent runs its `DefaultAgent` with its `mini.yaml` config in its
`LocalEnvironment`, as `mini` does. Failure modes are counted from interns' journals and mini-swe-agent's
trajectories.

    .venv/bin/python -m benchmarks.local_model serve        # prints the base URL
    .venv/bin/python -m benchmarks --only solve_rate --base-url http://127.0.0.1:PORT/v1 --attempts 5
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from benchmarks.peers import Peer, PeerUnavailable, ensure_peer
from benchmarks.solve_tasks import PATH, TASKS, SolveTask, TaskUnavailable, check_task, judge, protected_in
from benchmarks.table import BenchResult, Row
from interns.journal import ModelResponse, PolicyDecision, RunStore, StepFinished, ToolCall
from interns.journal.evals import wilson_interval

MODEL = "qwen2.5-coder-1.5b"
MINI, MINI_TEXT = "mini-swe-agent", "mini-swe-agent (text)"
"""The peer as `mini` runs it (tool calls), and with its text-based configuration (commands in fenced blocks)."""
SETTINGS: dict[str, Any] = {"temperature": 0.7, "max_tokens": 1024}
"""The model settings both agents send with every request."""


@dataclass
class Budget:
    """What one attempt may spend, for both agents."""

    wall_seconds: int = 900
    model_calls: int = 30
    """mini-swe-agent's step limit; interns' turn limit per step is this divided among the task's steps."""
    command_seconds: int = 120


@dataclass
class Attempt:
    """One attempt of one agent at one task: whether it solved it, what it cost, and how it failed."""

    agent: str
    task: str
    solved: bool
    reason: str
    seconds: float
    tokens: int
    tool_calls: int
    model_calls: int
    failures: list[str] = field(default_factory=list)
    """The failure modes seen: loop, limit, cut off, format error, refused calls, wrong files, timeout."""


def interns_failures(runs_dir: Path) -> tuple[dict[str, Any], list[str]]:
    """The run's figures and its failure modes, read from its journal."""
    store = RunStore(runs_dir)
    headers = store.list()
    if not headers:
        return {}, ["no run"]
    header = headers[0]
    modes: Counter[str] = Counter()
    tool_calls = model_calls = 0
    for event in store.events(header.run_id):
        if isinstance(event, ModelResponse):
            model_calls += 1
            if event.stop_reason in ("length", "max_tokens"):
                modes["cut off"] += 1
        elif isinstance(event, StepFinished) and event.status in ("stuck", "limit_exceeded"):
            modes["loop" if event.status == "stuck" else "limit"] += 1
        elif isinstance(event, PolicyDecision) and event.verdict == "deny":
            modes["wrong files" if event.tool in ("write", "edit") else "refused calls"] += 1
        elif isinstance(event, ToolCall) and not event.ok and event.result.startswith("not run:"):
            modes["format error"] += 1  # a call the agent refused before any tool saw it: unknown tool, bad arguments
        elif isinstance(event, ToolCall):
            tool_calls += 1  # a call a tool answered (the review's structured answers are not tool calls)
    if header.status == "limit_exceeded" and not modes["limit"]:
        modes["limit"] += 1
    figures = {
        "run_id": header.run_id,
        "status": header.status,
        "reason": header.reason,
        "tokens": header.usage.total_tokens,
        "tool_calls": tool_calls,
        "model_calls": model_calls,
        "output": str(store.dir(header.run_id) / "workspace"),
    }
    return figures, sorted(modes)


def _interns_task_file(task: SolveTask, budget: Budget) -> dict[str, Any]:
    spec = task.task_file()
    steps = max(len(spec.get("steps", [])), 1)
    guardrails = spec.setdefault("guardrails", {})
    limits = guardrails.setdefault("limits", {})
    limits.update(turns=max(budget.model_calls // steps, 1), minutes=budget.wall_seconds / 60)
    limits.pop("tokens", None)
    spec["model_settings"] = dict(SETTINGS)
    return spec


def attempt_interns(task: SolveTask, base_url: str, model: str, budget: Budget, work: Path) -> Attempt:
    """One `interns run` of the task against the server, judged on the run's worked copy."""
    task.lay_out(work / "project")
    expected = protected_in(task, work / "project")  # interns works on a copy; this folder stays as laid out
    (work / "task.yaml").write_text(yaml.safe_dump(_interns_task_file(task, budget), sort_keys=False))
    env = {**os.environ, "INTERNS_BASE_URL_LOCAL": base_url}
    command = [sys.executable, "-m", "interns", "run", "task.yaml", "--model", f"local:{model}"]
    started = time.perf_counter()
    timed_out = False
    try:
        subprocess.run(
            [*command, "--runs-dir", ".interns"],
            cwd=work,
            env=env,
            capture_output=True,
            timeout=budget.wall_seconds + 120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        timed_out = True
    seconds = time.perf_counter() - started
    figures, failures = interns_failures(work / ".interns")
    if timed_out:
        failures.append("timeout")
    verdict = judge(task, Path(figures.get("output", work / "missing")), expected)
    return Attempt(
        agent="interns",
        task=task.name,
        solved=verdict.solved,
        reason=verdict.reason or figures.get("status", ""),
        seconds=seconds,
        tokens=int(figures.get("tokens", 0)),
        tool_calls=int(figures.get("tool_calls", 0)),
        model_calls=int(figures.get("model_calls", 0)),
        failures=failures,
    )


def attempt_mini(
    peer: Peer, task: SolveTask, base_url: str, model: str, budget: Budget, work: Path, *, text: bool = False
) -> Attempt:
    """One run of mini-swe-agent's agent on the task against the server, judged on its working folder; `text` uses
    its text-based configuration (commands in fenced blocks) instead of tool calls."""
    project = work / "project"
    task.lay_out(project)
    expected = protected_in(task, project)  # before the agent works on this very folder
    spec = {
        "task": task.statement,
        "workdir": str(project),
        "trajectory": str(work / "trajectory.json"),
        "base_url": base_url,
        "model": model,
        "settings": SETTINGS,
        "path": PATH,
        "step_limit": budget.model_calls,
        "wall_seconds": budget.wall_seconds,
        "command_timeout": budget.command_seconds,
        "text": text,
    }
    try:
        figures = peer.call("solve", stdin=json.dumps(spec), timeout=budget.wall_seconds + 120)
    except (PeerUnavailable, subprocess.TimeoutExpired) as exc:
        figures = {"exit_status": "timeout" if isinstance(exc, subprocess.TimeoutExpired) else "crashed"}
    failures = []
    status = figures.get("exit_status", "")
    if status == "LimitsExceeded":
        failures.append("limit")
    elif status in ("TimeExceeded", "timeout"):
        failures.append("timeout")
    elif status == "RepeatedFormatError":
        failures.append("format error")
    if figures.get("format_errors"):
        failures.append("format error")
    if figures.get("cut_off"):
        failures.append("cut off")
    verdict = judge(task, project, expected)
    if verdict.reason == "changed the tests":
        failures.append("wrong files")
    return Attempt(
        agent=MINI_TEXT if text else MINI,
        task=task.name,
        solved=verdict.solved,
        reason=verdict.reason or status,
        seconds=float(figures.get("seconds", 0.0)),
        tokens=int(figures.get("tokens", 0)),
        tool_calls=int(figures.get("tool_calls", 0)),
        model_calls=int(figures.get("model_calls", 0)),
        failures=sorted(set(failures)),
    )


def _summary(attempts: list[Attempt]) -> str:
    solved = sum(a.solved for a in attempts)
    low, high = wilson_interval(solved, len(attempts))
    modes = Counter(mode for a in attempts for mode in a.failures)
    return (
        f"{solved}/{len(attempts)} solved (95% CI {low:.0%}-{high:.0%}), median "
        f"{statistics.median(a.seconds for a in attempts):.0f} s, "
        f"{statistics.median(a.tokens for a in attempts):,.0f} tokens, "
        f"{statistics.median(a.tool_calls for a in attempts):.0f} tool calls"
        + ("; " + ", ".join(f"{mode} ×{count}" for mode, count in sorted(modes.items())) if modes else "")
    )


def _rows(attempts: list[Attempt], tasks: list[str], agents: list[str]) -> list[Row]:
    """A row per task: interns' pass rate against mini-swe-agent's, each agent's figures in the note."""
    rows = []
    for task in tasks:
        by_agent = {agent: [a for a in attempts if a.task == task and a.agent == agent] for agent in agents}
        by_agent = {agent: mine for agent, mine in by_agent.items() if mine}
        if not by_agent:
            continue
        rate = {agent: 100 * sum(a.solved for a in mine) / len(mine) for agent, mine in by_agent.items()}
        note = "\n".join(f"{agent}: {_summary(mine)}" for agent, mine in by_agent.items())
        peer = MINI
        rows.append(
            Row(
                f"solve · {task}",
                rate.get("interns"),
                unit="%",
                other=rate.get(peer),
                other_label="mini" if peer in rate else "",
                note=note,
            )
        )
    return rows


def measure(
    *,
    attempts: int,
    base_url: str | None,
    model: str = MODEL,
    tasks: list[str] | None = None,
    peer: bool = True,
    install_peer: bool = True,
    budget: Budget | None = None,
    on_attempt: Callable[[Attempt], None] | None = None,
) -> BenchResult:
    """N attempts per task and agent, interleaved; rows of pass rates with intervals, and every attempt as raw data."""
    if not base_url:
        note = "no model server: pass --base-url (python -m benchmarks.local_model serve prints it)"
        return BenchResult("solve_rate", rows=[Row("solve rate", None, unit="%", note=note)])
    budget = budget or Budget()
    chosen, notes = [], []
    for name in tasks or list(TASKS):
        try:
            check_task(TASKS[name])
            chosen.append(TASKS[name])
        except TaskUnavailable as exc:
            notes.append(f"{name} left out: {exc}")
    agents: dict[str, Callable[[SolveTask, Path], Attempt]] = {
        "interns": lambda task, work: attempt_interns(task, base_url, model, budget, work)
    }
    if peer:
        try:
            mini = ensure_peer(install=install_peer)
            agents[MINI] = lambda task, work: attempt_mini(mini, task, base_url, model, budget, work)
            agents[MINI_TEXT] = lambda task, work: attempt_mini(mini, task, base_url, model, budget, work, text=True)
        except PeerUnavailable as exc:
            notes.append(f"mini-swe-agent left out: {exc}")
    done: list[Attempt] = []
    order = list(agents)
    with tempfile.TemporaryDirectory(prefix="solve-rate-") as scratch:
        for index in range(attempts):
            for task in chosen:
                for agent in order if index % 2 == 0 else order[::-1]:
                    work = Path(scratch) / f"{agent}-{task.name}-{index}"
                    work.mkdir()
                    result = agents[agent](task, work)
                    done.append(result)
                    if on_attempt:
                        on_attempt(result)
    rows = _rows(done, [t.name for t in chosen], order)
    rows += [Row("solve rate", None, unit="%", note=note) for note in notes]
    raw = {
        "model": model,
        "base_url": base_url,
        "settings": SETTINGS,
        "budget": asdict(budget),
        "attempts": [asdict(a) for a in done],
        "notes": notes,
    }
    return BenchResult("solve_rate", rows=rows, raw=raw)
