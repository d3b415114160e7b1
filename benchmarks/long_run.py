"""Long runs: from `interns run` to a scripted run's first journaled event, against the interpreter's own start; and a
long run on the Anthropic wire, its context compacted: input tokens per request once compaction starts, and the
share of them read from the prompt cache across compactions."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks.prompt_weight import task_on_wire
from benchmarks.stats import interleaved, median_ms, timed
from benchmarks.table import BenchResult, Row, at_least, at_most
from interns.journal import ContextCompacted, RunStore
from tests.support.messages_api import MessagesServer, PrefixCache, Respond, reply

START_TARGET_MS = 200.0
"""Most milliseconds from `interns run` to the first journaled event, over the interpreter's own start."""
LEVEL_TARGET = 1.2
"""Input tokens per request in the run's second half at most this times those between the first compaction and it."""
CACHE_TARGET = 70.0
LIBRARIES_ALONE = """
import typer, yaml
from pydantic import BaseModel

class Model(BaseModel):
    x: int = 0

Model(x=1)
"""
"""What any command line on our stack pays before it journals anything: typer and yaml imported, one pydantic model
made and used (pydantic's plugins off, as the CLI has them)."""
SUMMARY = "Tried: printed numbers with seq. Learned: seq works. Remains: answer when told."
SUMMARIZER_MARK = "working notes"
"""Words of the summarizer's instructions, by which the fake server tells a summary request from a worker's."""


def summarizing_run(tool_turns: int, cache: PrefixCache, summary: str = SUMMARY) -> Respond:
    """Replies that `run` a `seq` of about 600 characters of output for `tool_turns` worker requests, then answer;
    a summary request gets `summary`. Counted by requests, not by the turns a (compacted) conversation holds."""
    worked = 0

    def respond(body: dict[str, Any], number: int) -> dict[str, Any]:
        nonlocal worked
        usage = {**cache.account(body), "output_tokens": 20}
        if SUMMARIZER_MARK in json.dumps(body.get("system", "")):
            return reply(body, number, [{"type": "text", "text": summary}], usage)
        worked += 1
        content: list[dict[str, Any]] = [{"type": "text", "text": "Done."}]
        if worked <= tool_turns:
            command = {"command": f"seq {worked} {worked + 150}"}
            content = [{"type": "tool_use", "id": f"toolu_{worked:04d}", "name": "run", "input": command}]
        return reply(body, number, content, usage)

    return respond


def is_summary(body: dict[str, Any]) -> bool:
    """Whether a request the fake server saw asks for a summary."""
    return SUMMARIZER_MARK in json.dumps(body.get("system", ""))


def sent_tokens(usage: dict[str, int]) -> int:
    """Every input token of a request: fresh, read from the cache and written to it."""
    return usage["input_tokens"] + usage["cache_read_input_tokens"] + usage["cache_creation_input_tokens"]


def write_task(folder: Path, budget: int, turns: int) -> Path:
    """A one-step task on the local backend with a context budget of `budget` tokens."""
    (folder / "project").mkdir(parents=True, exist_ok=True)
    limits = {"turns": turns + 10, "tokens": 100_000_000, "repeated_calls": 100, "context_tokens": budget}
    task = {
        "version": 1,
        "name": "bench-long-run",
        "goal": "Count.",
        "workspace": {"folder": "project"},
        "steps": [{"id": "work", "instructions": "Count."}],
        "guardrails": {"sandbox": "local", "limits": limits},
        "review": {"retries": 0, "human": False, "supervisor": False},
    }
    path = folder / "task.yaml"
    path.write_text(yaml.safe_dump(task, sort_keys=False))
    return path


async def long_run_on_wire(folder: Path, tool_turns: int, budget: int) -> tuple[MessagesServer, list[ContextCompacted]]:
    """Run a `tool_turns`-turn step with pydantic-ai's Anthropic model against the local Messages API; what the
    server saw, and the compactions the run journaled."""
    path = write_task(folder, budget, tool_turns)
    server, run_id = await task_on_wire(path, summarizing_run(tool_turns, PrefixCache()))
    events = RunStore(folder / "runs").events(run_id)
    return server, [e for e in events if isinstance(e, ContextCompacted)]


def context_figures(server: MessagesServer) -> dict[str, Any]:
    """Input tokens per worker request, and how they level off and are cached once the first summary is written."""
    pairs = list(zip((r["body"] for r in server.requests), server.usages, strict=True))
    first = next((i for i, (body, _) in enumerate(pairs) if is_summary(body)), None)
    work = [(i, sent_tokens(usage), usage) for i, (body, usage) in enumerate(pairs) if not is_summary(body)]
    sizes = [size for _, size, _ in work]
    if first is None:
        return {"input_tokens": sizes, "first_compaction_request": None}
    after = [(size, usage) for i, size, usage in work if i > first]
    half = len(after) // 2
    total = sum(size for size, _ in after)
    return {
        "input_tokens": sizes,
        "first_compaction_request": first,
        "peak_after_first_compaction": max((s for s, _ in after[:half]), default=None),
        "peak_second_half": max((s for s, _ in after[half:]), default=None),
        "last_10pct_median": median_ms([s / 1000 for s in sizes[-max(len(sizes) // 10, 1) :]]),
        "cache_share_pct": 100 * sum(u["cache_read_input_tokens"] for _, u in after) / total if total else None,
        "summary_requests": sum(1 for body, _ in pairs if is_summary(body)),
    }


def first_event_seconds(folder: Path) -> float:
    """Seconds from starting `interns run` (a scripted one-step task) to its first journaled event."""
    runs = folder / "runs"
    script = folder / "script.yaml"
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "interns", "run", str(folder / "task.yaml"), "--model", f"scripted:{script}"],
        env={"PATH": "/usr/bin:/bin", "INTERNS_HOME": str(runs)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            journals = list(runs.glob("runs/*/events.jsonl")) if runs.exists() else []
            if journals and journals[0].stat().st_size > 0:
                return time.perf_counter() - started
            if child.poll() is not None and not journals:
                raise RuntimeError("the scripted run ended before it journaled anything")
            time.sleep(0.001)
    finally:
        child.wait()


def measure_start(rounds: int = 5) -> tuple[dict[str, Any], list[Row]]:
    """`interns run` to its first journaled event, against `python -c pass` and the stack's own start, interleaved."""
    with tempfile.TemporaryDirectory(prefix="interns-bench-start-") as scratch:
        root = Path(scratch)

        def fresh() -> float:
            folder = Path(tempfile.mkdtemp(dir=root))
            write_task(folder, 100_000, 1)
            (folder / "script.yaml").write_text(yaml.safe_dump({"work": [{"final": "done"}]}))
            return first_event_seconds(folder)

        def interpreter(code: str) -> float:
            env = {"PATH": "/usr/bin:/bin", "PYDANTIC_DISABLE_PLUGINS": "__all__"}
            return timed(lambda: subprocess.run([sys.executable, "-c", code], env=env, check=True))

        variants = {"python": lambda: interpreter("pass"), "libraries": lambda: interpreter(LIBRARIES_ALONE)}
        samples = interleaved({**variants, "ours": fresh}, rounds)
    ours, floor, libraries = (median_ms(samples[name]) for name in ("ours", "python", "libraries"))
    over = None if ours is None or floor is None else ours - floor
    row = Row("start · interns run to its first event", ours, other=floor, other_label="python -c pass")
    row.target, row.met = f"≤ python + {START_TARGET_MS:g} ms", at_most(over, START_TARGET_MS)
    row.note = f"scripted, {rounds} runs" + (f"; python + {over:.0f} ms" if over is not None else "")
    stack = Row("start · typer, yaml and one pydantic model", libraries, other=floor, other_label="python -c pass")
    stack.note = "what the stack costs any command before its own work"
    if ours is not None and floor is not None and libraries is not None:
        stack.note += f": python + {libraries - floor:.0f} ms; interns run is {ours - libraries:.0f} ms over it"
    return {"samples_s": samples, "over_python_ms": over}, [row, stack]


def measure(rounds: int = 5, tool_turns: int = 200, budget: int = 6_000) -> BenchResult:
    """Start-up to the first event, and a `tool_turns`-turn run on the Anthropic wire within `budget` tokens."""
    import asyncio

    start, rows = measure_start(rounds)
    with tempfile.TemporaryDirectory(prefix="interns-bench-long-") as scratch:
        server, compactions = asyncio.run(long_run_on_wire(Path(scratch), tool_turns, budget))
    figures = context_figures(server)
    figures["compactions"] = len(compactions)
    level = Row(
        "context · input tokens/request, 2nd half",
        figures.get("peak_second_half"),
        unit="tokens",
        other=figures.get("peak_after_first_compaction"),
        other_label="after 1st summary",
        note=f"{tool_turns} turns, budget {budget:,}, {len(compactions)} summaries",
    )
    peak, before = figures.get("peak_second_half"), figures.get("peak_after_first_compaction")
    level.target = f"≤ {LEVEL_TARGET:g}×"
    level.met = None if peak is None or before is None else peak <= LEVEL_TARGET * before
    share = figures.get("cache_share_pct")
    cache = Row("context · cache reads across compactions", share, unit="%", note="from the first summary on")
    cache.target, cache.met = f"≥ {CACHE_TARGET:g}%", at_least(share, CACHE_TARGET)
    return BenchResult("long_run", rows=[*rows, level, cache], raw={"start": start, "context": figures})
