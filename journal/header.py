"""A run's header, `run.json`: what ran, on what, how it ended and what it cost, readable without the events."""

import json
import socket
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from interns.journal._files import atomic_write, process_alive
from interns.journal.formats import FORMAT_VERSION, upgrade_header
from interns.journal.usage import RunStatus, Usage

HEADER_FILE = "run.json"

ParamValue = str | int | float | bool
"""A task parameter's value as the run used it."""


class BatchLink(BaseModel):
    """Which batch (or eval) a run belongs to, and which of its rows it ran."""

    batch_id: str
    row: int


class RunHeader(BaseModel):
    """The header of one run, rewritten at its start and its finish; listings read only these."""

    model_config = ConfigDict(extra="ignore")  # fields from a newer version are dropped, not refused

    format_version: int = FORMAT_VERSION
    run_id: str
    task: str
    """The task's name."""
    task_sha256: str
    """SHA-256 of `task.yaml` as stored in the run directory (after redaction)."""
    goal: str
    model: str
    scripted: bool = False
    """Whether the model was a `scripted:` one, so the run spent nothing and proves little about a real model."""
    workspace: str
    git_commit: str | None = None
    """The workspace repository's commit the run started from, if the workspace is a repository."""
    status: RunStatus = "running"
    reason: str = ""
    failed_step: str | None = None
    usage: Usage = Usage()
    """Summed over the run's `model_response` events."""
    started: datetime
    finished: datetime | None = None
    event_count: int = 0
    host: str = ""
    """The host name of the process that wrote the run."""
    pid: int | None = None
    """The writing process, to tell a run still going from one whose process died."""
    manual_minutes: float | None = None
    """Minutes the task takes a person by hand, as its task file said when the run started."""
    pid_start: int | None = None
    """When that process started (clock ticks since boot, Linux), so a later process given the same pid is not it."""
    params: dict[str, ParamValue] = {}
    """The task's parameters as this run used them (given with `-p`, or defaults)."""
    batch: BatchLink | None = None
    """The batch or eval this run is one row of."""

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish; None while the run has not finished."""
        return None if self.finished is None else (self.finished - self.started).total_seconds()


def write_header(run_dir: Path, header: RunHeader) -> None:
    """Write `run.json` atomically."""
    atomic_write(run_dir / HEADER_FILE, header.model_dump_json(indent=2).encode() + b"\n")


def read_stored_header(run_dir: Path) -> RunHeader:
    """Read `run.json` of any version as it was written, upgraded to this version."""
    return RunHeader.model_validate(upgrade_header(json.loads((run_dir / HEADER_FILE).read_bytes())))


def read_header(run_dir: Path) -> RunHeader:
    """Read `run.json` of any version, reporting a "running" run whose writer is gone as "interrupted"."""
    return with_liveness(read_stored_header(run_dir))


def with_liveness(header: RunHeader) -> RunHeader:
    """`header`, or a copy marked "interrupted" if it says "running" but its writer is not alive on this host."""
    if header.status != "running":
        return header
    if header.pid is not None and header.host == socket.gethostname() and process_alive(header.pid, header.pid_start):
        return header
    return header.model_copy(update={"status": "interrupted"})
