"""The step scheduler: dependency order, parallelism up to a limit, skips after a failure."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from interns.agents.runtime.scheduler import run_dag

pytestmark = pytest.mark.anyio


@dataclass
class Node:
    id: str
    needs: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    status: str


class Recorder:
    def __init__(self, fail: set[str] = frozenset(), delay: float = 0.05) -> None:
        self.fail, self.delay = fail, delay
        self.log: list[str] = []
        self.running = 0
        self.most_at_once = 0

    async def run(self, node: Node) -> Outcome:
        self.log.append(f"start {node.id}")
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        await asyncio.sleep(self.delay)
        self.running -= 1
        self.log.append(f"end {node.id}")
        return Outcome("failed" if node.id in self.fail else "succeeded")

    def skip(self, node: Node, because: str) -> Outcome:
        self.log.append(f"skip {node.id} after {because}")
        return Outcome("skipped")


async def test_independent_steps_run_together_up_to_the_limit() -> None:
    recorder = Recorder()
    steps = [Node("a"), Node("b"), Node("c"), Node("d", ["a", "b", "c"])]
    results = await run_dag(steps, 2, recorder.run, recorder.skip)
    assert {k: v.status for k, v in results.items()} == dict.fromkeys("abcd", "succeeded")
    assert recorder.most_at_once == 2
    assert recorder.log.index("start d") > max(recorder.log.index(f"end {x}") for x in "abc")


async def test_one_worker_runs_in_the_order_given() -> None:
    recorder = Recorder(delay=0)
    await run_dag([Node("b"), Node("a"), Node("c", ["a"])], 1, recorder.run, recorder.skip)
    assert [line for line in recorder.log if line.startswith("start")] == ["start b", "start a", "start c"]


async def test_a_failure_skips_its_dependents_and_spares_the_rest() -> None:
    recorder = Recorder(fail={"a"})
    steps = [Node("a"), Node("b"), Node("c", ["a"]), Node("d", ["c"]), Node("e", ["b"])]
    results = await run_dag(steps, 4, recorder.run, recorder.skip)
    assert {k: v.status for k, v in results.items()} == {
        "a": "failed",
        "b": "succeeded",
        "c": "skipped",
        "d": "skipped",
        "e": "succeeded",
    }
    assert "skip c after a" in recorder.log and "skip d after c" in recorder.log


async def test_cancelling_the_run_cancels_running_steps() -> None:
    started = asyncio.Event()
    cancelled: list[str] = []

    async def slow(node: Node) -> Outcome:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(node.id)
            raise
        return Outcome("succeeded")

    task = asyncio.create_task(run_dag([Node("a"), Node("b")], 2, slow, lambda n, b: Outcome("skipped")))
    await started.wait()
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(cancelled) == ["a", "b"]
