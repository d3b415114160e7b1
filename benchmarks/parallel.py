"""Parallel scaling: 8 independent steps whose model takes `turn_seconds` per turn (3 turns a step), with
`workers:` 1, 2, 4 and 8; the wall time against the sequential time divided by the workers."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from benchmarks.stats import interleaved
from benchmarks.table import BenchResult, Row, at_most
from interns import tasks
from interns.agents.runtime.supervisor import Supervisor, TaskSource
from interns.agents.worker.models import ModelChoice

TARGET = 1.2
TURNS_PER_STEP = 3


def slow_model(turn_seconds: float) -> FunctionModel:
    """A scripted model that waits `turn_seconds` per turn: two `run: true` calls, then a final answer."""

    async def play(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        await asyncio.sleep(turn_seconds)
        turn = sum(isinstance(m, ModelResponse) for m in messages)
        if turn < TURNS_PER_STEP - 1:
            return ModelResponse(parts=[ToolCallPart("run", {"command": "true"}, f"call-{turn}")])
        return ModelResponse(parts=[TextPart("done")])

    return FunctionModel(play, model_name="scripted:slow")


def write_task(folder: Path, steps: int, workers: int) -> Path:
    """A task of `steps` independent steps on the local backend, run `workers` at a time."""
    (folder / "project").mkdir(parents=True)
    (folder / "project" / "README").write_text("a workspace for the benchmark\n")
    task = {
        "version": 1,
        "name": f"bench-parallel-{workers}",
        "goal": "Run `true` twice in each step.",
        "workspace": {"folder": "project"},
        "steps": [{"id": f"s{i}", "instructions": "Run `true` twice.", "tools": ["run"]} for i in range(steps)],
        "guardrails": {"sandbox": "local"},
        "review": {"retries": 0, "human": False, "supervisor": False},
        "workers": workers,
    }
    path = folder / "task.yaml"
    path.write_text(yaml.safe_dump(task, sort_keys=False))
    return path


async def run_task(task_path: Path, turn_seconds: float) -> float:
    """Wall seconds of the whole run."""
    spec = tasks.load(task_path)
    model = ModelChoice(name="scripted:slow", _model=slow_model(turn_seconds))
    started = time.perf_counter()
    result = await Supervisor(spec, model, TaskSource(task_path.read_text()), runs_root=task_path.parent / "runs").run()
    took = time.perf_counter() - started
    if result.status != "succeeded":
        raise RuntimeError(f"the parallel benchmark run did not succeed: {result.status} {result.reason}")
    return took


def measure(
    rounds: int = 1, steps: int = 8, turn_seconds: float = 1.0, workers: tuple[int, ...] = (1, 2, 4, 8)
) -> BenchResult:
    """Wall seconds per `workers:` setting, interleaved round by round; ratio to (wall at 1 worker) / workers."""
    with tempfile.TemporaryDirectory(prefix="interns-bench-parallel-") as scratch:
        counter = iter(range(10**6))

        def variant(w: int) -> Any:
            return lambda: asyncio.run(run_task(write_task(Path(scratch) / str(next(counter)), steps, w), turn_seconds))

        samples = interleaved({f"workers={w}": variant(w) for w in workers}, rounds)
    raw = {"steps": steps, "turn_seconds": turn_seconds, "rounds": rounds, "wall_s": samples}
    result = BenchResult("parallel", raw=raw)
    sequential = sorted(samples[f"workers={min(workers)}"])[len(samples[f"workers={min(workers)}"]) // 2]
    for w in workers:
        walls = sorted(samples[f"workers={w}"])
        wall = walls[len(walls) // 2]
        ideal = sequential * min(workers) / w
        row = Row(f"parallel · workers={w}", wall, unit="s", other=ideal, other_label="sequential/workers")
        row.note = f"{steps} steps × {TURNS_PER_STEP} turns × {turn_seconds:g} s"
        if w != min(workers):
            row.target, row.met = f"≤ {TARGET}× sequential/workers", at_most(row.ratio, TARGET)
        result.rows.append(row)
    return result
