"""Prompt weight: tokens of the fixed part of a worker's request (instructions + tool schemas) against
mini-swe-agent's for the same task, and on the Anthropic path the share of input tokens read from the cache."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

import pydantic_ai.models
import yaml

from benchmarks.peers import Peer, PeerUnavailable, ensure_peer
from benchmarks.table import BenchResult, Row, at_least, at_most
from interns import tasks
from interns.agents.runtime.supervisor import Supervisor, TaskSource
from interns.agents.worker.models import DEFAULT_MODEL, select_model
from tests.support.messages_api import MessagesServer, PrefixCache, Respond, messages_server, run_until

TASK = "Fix the failing test in calc.py without editing the tests."
FIXED_TARGET = 2000
CACHE_TARGET = 80.0


def write_task(folder: Path) -> Path:
    """A one-step coding task on the local backend, every tool allowed."""
    (folder / "project").mkdir(parents=True)
    (folder / "project" / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    task = {
        "version": 1,
        "name": "bench-prompt",
        "goal": TASK,
        "workspace": {"folder": "project"},
        "steps": [{"id": "fix", "instructions": TASK}],
        "guardrails": {"sandbox": "local", "limits": {"repeated_calls": 100}},  # the fake model repeats `true`
        "review": {"retries": 0, "human": False, "supervisor": False},
    }
    path = folder / "task.yaml"
    path.write_text(yaml.safe_dump(task, sort_keys=False))
    return path


async def run_on_wire(folder: Path, tool_turns: int) -> MessagesServer:
    """Run the task with pydantic-ai's Anthropic model against the local Messages API; what the server saw."""
    server, _ = await task_on_wire(write_task(folder), run_until(tool_turns, PrefixCache()))
    return server


async def task_on_wire(path: Path, respond: Respond) -> tuple[MessagesServer, str]:
    """Run the task file with pydantic-ai's Anthropic model against a local Messages API answering with `respond`;
    what the server saw, and the run's id (journaled beside the task, in `runs/`)."""
    with messages_server(respond) as server:
        environ = {"ANTHROPIC_API_KEY": "sk-ant-bench-0000000000000000", "ANTHROPIC_BASE_URL": server.url}
        model = select_model(DEFAULT_MODEL, None, environ=environ)
        allowed = pydantic_ai.models.ALLOW_MODEL_REQUESTS
        pydantic_ai.models.ALLOW_MODEL_REQUESTS = True  # the only endpoint is our own loopback server
        try:
            spec = tasks.load(path)
            runs = path.parent / "runs"
            result = await Supervisor(spec, model, TaskSource(path.read_text()), runs_root=runs).run()
        finally:
            pydantic_ai.models.ALLOW_MODEL_REQUESTS = allowed
    if result.status != "succeeded":
        raise RuntimeError(f"the benchmark run on the wire did not succeed: {result.status} {result.reason}")
    return server, result.run_id


def fixed_texts(body: dict[str, Any]) -> dict[str, str]:
    """The fixed part of one request: its system text, and its tools' schemas as sent (JSON, no cache marks)."""
    system = body.get("system", "")
    text = system if isinstance(system, str) else "\n".join(b.get("text", "") for b in system)
    tools = [{k: v for k, v in tool.items() if k != "cache_control"} for tool in body.get("tools", [])]
    return {"instructions": text, "tools": json.dumps(tools)}


def cache_share(usages: list[dict[str, int]], from_turn: int = 3) -> float | None:
    """Percent of input tokens (fresh + cache reads + cache writes) that were cache reads, from `from_turn` on."""
    later = usages[from_turn - 1 :]
    total = sum(u["input_tokens"] + u["cache_read_input_tokens"] + u["cache_creation_input_tokens"] for u in later)
    return 100 * sum(u["cache_read_input_tokens"] for u in later) / total if total else None


def measure(rounds: int = 3, tool_turns: int = 8, peer: bool = True, install_peer: bool = True) -> BenchResult:
    """Token counts of both fixed prompts (chars/4 and, where the peer's tokenizers are there, two BPEs) and the
    cache-read share of `rounds` runs of `tool_turns` + 1 turns on the Anthropic wire."""
    result = BenchResult("prompt_weight", raw={"task": TASK, "tool_turns": tool_turns})
    servers = []
    with tempfile.TemporaryDirectory(prefix="interns-bench-prompt-") as scratch:
        for i in range(rounds):
            servers.append(asyncio.run(run_on_wire(Path(scratch) / str(i), tool_turns)))
    first = servers[0].requests[0]["body"]
    ours = fixed_texts(first)
    texts = {"ours": ours["instructions"] + "\n" + ours["tools"]}
    result.raw["ours_fixed"] = ours
    result.raw["ours_step_prompt_chars"] = len(json.dumps(first["messages"][0]["content"]))
    mini: Peer | None = None
    if peer:
        try:
            mini = ensure_peer(install=install_peer)
            theirs = mini.call("prompt", TASK)
            result.raw["mini_fixed"] = theirs
            texts["mini"] = theirs["system"] + "\n" + theirs["instance"] + "\n" + json.dumps(theirs["tools"])
        except PeerUnavailable as exc:
            result.raw["mini_fixed"] = str(exc)
            mini = None
    counts: dict[str, dict[str, int]] = {name: {"chars/4": len(text) // 4} for name, text in texts.items()}
    if mini is not None:
        for name, by_tokenizer in mini.call("tokens", stdin=json.dumps(texts)).items():
            counts[name].update(by_tokenizer)
    result.raw["tokens"] = counts
    for tokenizer in counts["ours"]:
        row = Row(f"prompt · fixed part, {tokenizer}", counts["ours"][tokenizer], unit="tok")
        if "mini" in counts:
            row.other, row.other_label = counts["mini"].get(tokenizer), "mini"
        row.target, row.met = f"≤ {FIXED_TARGET:,} tok", at_most(row.ours, FIXED_TARGET)
        result.rows.append(row)
    if peer and mini is None:
        result.rows[-1].note = f"mini-swe-agent: {result.raw['mini_fixed']}"[:160]
    shares = [cache_share(s.usages) for s in servers]
    result.raw["cache"] = {"usages": [s.usages for s in servers], "share_from_turn_3_pct": shares}
    valid = sorted(s for s in shares if s is not None)
    share = valid[len(valid) // 2] if valid else None
    row = Row(
        "prompt · cache reads from turn 3", share, unit="%", note=f"{tool_turns + 1} turns, prefix cache emulated"
    )
    row.target, row.met = f"≥ {CACHE_TARGET:g}%", at_least(share, CACHE_TARGET)
    result.rows.append(row)
    return result
