"""Rows run on this machine: each one an `interns run` child process, journaled under the batch's root."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from interns.journal.batches import BatchSpec

__all__ = ["LocalExecutor", "run_args"]


def run_args(batch: BatchSpec, index: int) -> list[str]:
    """The arguments of `interns run` for one row, its run linked to the row (the journal root is the caller's)."""
    row = batch.rows[index]
    argv = [batch.task_file, "--batch-row", f"{batch.batch_id}:{index}"]
    for name, value in row.params.items():
        argv += ["-p", f"{name}={value}"]
    if row.model is not None:
        argv += ["--model", row.model]
    return argv


class LocalExecutor:
    """Runs a row as a child process on this machine; its output goes to the row's log in the batch's folder."""

    def __init__(self, runs_dir: Path, logs: Path) -> None:
        """Rows journal under `runs_dir` and write their output to `logs/row-<n>.log`."""
        self.runs_dir, self.logs = runs_dir, logs

    async def run_row(self, batch: BatchSpec, index: int) -> None:
        """Run one row to its end (the child has no terminal: a call that needs a person's yes pauses its run)."""
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / f"row-{index}.log").open("ab") as log:
            child = await asyncio.create_subprocess_exec(
                *[sys.executable, "-m", "interns", "run", *run_args(batch, index), "--runs-dir", str(self.runs_dir)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
            try:
                await child.wait()
            except asyncio.CancelledError:
                child.terminate()  # the child journals its run as cancelled
                await asyncio.shield(child.wait())
                raise
