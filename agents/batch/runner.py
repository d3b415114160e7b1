"""A batch run: every row not yet done, so many at a time; a row whose run is still going elsewhere is waited for."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from interns.journal.batches import BatchSpec, BatchStore, RowState

__all__ = ["Executor", "last_log_line", "run_batch"]

POLL_SECONDS = 0.5
"""How often a row whose run another process is running is looked at again."""


class Executor(Protocol):
    """Runs one row of a batch to its end, wherever it runs."""

    async def run_row(self, batch: BatchSpec, index: int) -> None:
        """Run row `index` of `batch`; its run's header links it to the row."""
        ...


async def run_batch(
    store: BatchStore,
    batch: BatchSpec,
    executor: Executor,
    on_row: Callable[[RowState], None] | None = None,
) -> list[RowState]:
    """Run the rows of `batch` that are not done, `batch.concurrency` at a time; the states of all rows after.

    A row is done once its latest run ended (succeeded, failed, over a limit, or waiting for approval); a row whose
    latest run was interrupted or cancelled runs again, so a killed batch started again goes on where it stopped,
    and a row counts only its latest run.
    """
    limit = asyncio.Semaphore(batch.concurrency)

    async def one(state: RowState) -> None:
        async with limit:
            if state.status == "running":  # another batch process (or a node) is running it: wait, don't rerun
                await _wait_while_running(store, batch, state.index)
            else:
                await executor.run_row(batch, state.index)
        if on_row is not None:
            on_row(store.state(batch, state.index))

    await asyncio.gather(*(one(state) for state in store.states(batch) if not state.done))
    return store.states(batch)


async def _wait_while_running(store: BatchStore, batch: BatchSpec, index: int) -> None:
    while store.state(batch, index).status == "running":
        await asyncio.sleep(POLL_SECONDS)


def last_log_line(logs: Path, index: int) -> str:
    """The last line a row's child wrote: why a row that never started a run did not."""
    try:
        lines = (logs / f"row-{index}.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1] if lines else ""
