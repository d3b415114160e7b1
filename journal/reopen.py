"""Journaling again into a run that stopped: to resume it, or to add a person's answer while it waits."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from interns.errors import RunError
from interns.journal._files import process_start_ticks
from interns.journal.events import ModelResponse, Usage
from interns.journal.header import read_stored_header, with_liveness, write_header
from interns.journal.index import RunIndex
from interns.journal.redact import Redactor
from interns.journal.run import EVENTS_FILE, INDEX_FILE, RUNS_DIR, Journal
from interns.journal.store import RunStore

__all__ = ["RunStillGoing", "reopen_run"]


class RunStillGoing(RunError):
    """The run's own process is alive: a second writer would interleave with it."""


def reopen_run(root: Path, run_id: str, *, resume: bool, redactor: Redactor | None = None) -> Journal:
    """A journal that appends to run `run_id` after its last event.

    With `resume` the header says "running" again, under this process; without it the header keeps its status
    (for answering a run that waits) and `Journal.detach` writes its new event count. The event count and the usage
    are recounted from the events, since a killed run never wrote its final header.
    """
    run_dir = root / RUNS_DIR / run_id
    header = read_stored_header(run_dir)
    if with_liveness(header).status == "running":
        raise RunStillGoing(f"run {run_id} is still going (process {header.pid}); wait for it or stop it first")
    events_path = run_dir / EVENTS_FILE
    _end_torn_line(events_path)
    count, usage = 0, Usage()
    for event in RunStore(root).events(run_id):
        count += 1
        if isinstance(event, ModelResponse):
            usage = usage + event.usage
    update: dict[str, object] = {"event_count": count, "usage": usage}
    if resume:
        pid = os.getpid()
        update |= {"status": "running", "reason": "", "failed_step": None, "finished": None}
        update |= {"pid": pid, "pid_start": process_start_ticks(pid), "host": socket.gethostname()}
    header = header.model_copy(update=update)
    if resume:
        write_header(run_dir, header)
    return Journal(run_dir, header, redactor or Redactor.from_environ(os.environ), RunIndex(root / INDEX_FILE))


def _end_torn_line(path: Path) -> None:
    """End a last line a killed writer left half-written, so the next event starts on a line of its own."""
    with path.open("rb+") as file:
        if file.seek(0, os.SEEK_END) and (file.seek(-1, os.SEEK_END), file.read(1))[1] != b"\n":
            file.write(b"\n")
