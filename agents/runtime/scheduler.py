"""Running a DAG of steps: each as soon as its needs have succeeded, up to a number at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

__all__ = ["run_dag"]


class _Node(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def needs(self) -> list[str]: ...


class _Outcome(Protocol):
    @property
    def status(self) -> str: ...


N = TypeVar("N", bound=_Node)
R = TypeVar("R", bound=_Outcome)


async def run_dag(
    steps: list[N],
    workers: int,
    run_step: Callable[[N], Coroutine[Any, Any, R]],
    skip_step: Callable[[N, str], R],
) -> dict[str, R]:
    """Run every step whose needs succeeded, `workers` at a time; a step whose need did not succeed is skipped.

    A failing step does not stop the others: steps already running finish, independent ones still start. Steps are
    started in the order given among those ready, so a topological order runs deterministically with one worker.
    """
    results: dict[str, R] = {}
    pending = list(steps)
    running: dict[asyncio.Task[R], N] = {}
    try:
        while pending or running:
            for step in list(pending):
                failed = [n for n in step.needs if n in results and results[n].status != "succeeded"]
                if failed:
                    pending.remove(step)
                    results[step.id] = skip_step(step, failed[0])
                elif len(running) < workers and all(n in results for n in step.needs):
                    pending.remove(step)
                    running[asyncio.create_task(run_step(step), name=f"step {step.id}")] = step
            if not running:
                continue
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                results[running.pop(task).id] = task.result()
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
    return results
