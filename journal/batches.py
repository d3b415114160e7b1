"""Batches on disk: `<root>/batches/<batch-id>/batch.json` says what runs, the run headers say how each row went.

A row's runs are linked to it by their headers (`batch: {batch_id, row}`), so the batch file is written once and
never rewritten: a row's state is read from the journals, which is also what makes a killed batch resumable.
"""

from __future__ import annotations

import builtins
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from interns.errors import RunError
from interns.journal._files import atomic_write
from interns.journal.header import RunHeader
from interns.journal.store import RunStore

__all__ = ["BATCHES_DIR", "BatchNotFound", "BatchRow", "BatchSpec", "BatchStore", "RowState"]

BATCHES_DIR = "batches"
BATCH_FILE = "batch.json"
DONE = frozenset({"succeeded", "failed", "limit_exceeded", "awaiting_approval"})
"""Statuses that end a row; after any other (interrupted, cancelled, or no run at all) the row runs again."""


class BatchNotFound(RunError, LookupError):
    """No batch matches the reference."""


class BatchRow(BaseModel):
    """One row: the task's parameter values as given, and the model it runs on when not the task's own."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    params: dict[str, str] = {}
    model: str | None = None


class BatchSpec(BaseModel):
    """What a batch (or an eval) runs: a task file once per row, so many at a time, on this machine or a cluster."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    format_version: int = 1
    batch_id: str
    kind: Literal["batch", "eval"] = "batch"
    task: str
    """The task's name."""
    task_file: str
    """The task file, absolute."""
    rows: list[BatchRow]
    concurrency: int = 1
    on: str = "local"
    """Where the runs run: `local`, or `ray` / `ray://ADDRESS`."""
    created: datetime


@dataclass(frozen=True)
class RowState:
    """A row and the runs it has had; its latest run says where it stands."""

    index: int
    row: BatchRow
    runs: list[RunHeader] = field(default_factory=list)

    @property
    def latest(self) -> RunHeader | None:
        """The row's newest run, which alone counts for it."""
        return self.runs[-1] if self.runs else None

    @property
    def status(self) -> str:
        """The latest run's status, or `pending` before any."""
        return self.latest.status if self.latest is not None else "pending"

    @property
    def done(self) -> bool:
        """Whether the row has ended and need not run again."""
        return self.status in DONE

    @property
    def label(self) -> str:
        """A short name for the row: its first value, or its number."""
        return next(iter(self.row.params.values()), "") or f"row {self.index + 1}"


class BatchStore:
    """The batches under one journal root, beside its runs."""

    def __init__(self, root: Path) -> None:
        """Batches of the journal root `root` (`<root>/batches/`)."""
        self.root = root
        self.dir = root / BATCHES_DIR
        self.runs = RunStore(root)

    def create(
        self, *, kind: Literal["batch", "eval"], task: str, task_file: Path, rows: list[BatchRow], **options: object
    ) -> BatchSpec:
        """Write a new batch and return it; its id is `<kind>-YYYYMMDD-HHMMSS-<task>-<hex>`, sorting by start."""
        created = datetime.now(UTC)
        self.dir.mkdir(parents=True, exist_ok=True)
        while True:
            batch_id = f"{kind}-{created:%Y%m%d-%H%M%S}-{task}-{secrets.token_hex(2)}"
            try:
                (self.dir / batch_id).mkdir()
                break
            except FileExistsError:
                continue
        spec = BatchSpec.model_validate(
            {"batch_id": batch_id, "kind": kind, "task": task, "task_file": str(task_file), "rows": rows,
             "created": created, **options}
        )  # fmt: skip
        atomic_write(self.dir / batch_id / BATCH_FILE, spec.model_dump_json(indent=2).encode() + b"\n")
        return spec

    def list(self) -> list[BatchSpec]:
        """Every batch, newest first."""
        try:
            with os.scandir(self.dir) as entries:
                names = sorted((e.name for e in entries if e.is_dir() and not e.name.startswith(".")), reverse=True)
        except FileNotFoundError:
            return []
        batches = []
        for name in names:
            try:
                batches.append(self._read(name))
            except (OSError, ValueError):
                continue  # being written, or not a batch
        return batches

    def load(self, ref: str) -> BatchSpec:
        """The batch `ref` names: its id, a unique prefix of it, or `last`."""
        batches = self.list()
        if ref in ("last", "latest") and batches:
            return batches[0]
        matches = [b for b in batches if b.batch_id == ref] or [
            b for b in batches if ref and b.batch_id.startswith(ref)
        ]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise BatchNotFound(f"{ref!r} matches {len(matches)} batches; give more of the id")
        raise BatchNotFound(f"no batch matches {ref!r} in {self.dir}")

    def folder(self, batch: BatchSpec) -> Path:
        """Where the batch's own files are (its spec, the logs of its rows)."""
        return self.dir / batch.batch_id

    def states(self, batch: BatchSpec) -> builtins.list[RowState]:
        """Every row with its runs, oldest first, read from the run index."""
        runs: dict[int, builtins.list[RunHeader]] = {}
        for header in self.runs.batch_runs(batch.batch_id):
            if header.batch is not None and 0 <= header.batch.row < len(batch.rows):
                runs.setdefault(header.batch.row, []).append(header)
        return [RowState(index, row, runs.get(index, [])) for index, row in enumerate(batch.rows)]

    def state(self, batch: BatchSpec, index: int) -> RowState:
        """One row with its runs, oldest first, read from the index by row: its cost does not grow with the batch."""
        return RowState(index, batch.rows[index], self.runs.batch_runs(batch.batch_id, row=index))

    def _read(self, batch_id: str) -> BatchSpec:
        return BatchSpec.model_validate_json((self.dir / batch_id / BATCH_FILE).read_bytes())
