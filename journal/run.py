"""The journal of one run as it happens: an append-only event log beside its header, task, messages and diff."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import socket
import sqlite3
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, get_args

from interns.errors import RunError
from interns.journal._files import atomic_write, process_start_ticks
from interns.journal.events import Event, FinalStatus, ModelResponse, Usage, now
from interns.journal.header import BatchLink, ParamValue, RunHeader, write_header
from interns.journal.index import RunIndex
from interns.journal.layout import (  # where a run's files are; named here too, as they always were
    DIFF_FILE,
    EVENTS_FILE,
    INDEX_FILE,
    MESSAGES_DIR,
    RUNS_DIR,
    TASK_FILE,
)
from interns.journal.redact import Redactor

_log = logging.getLogger(__name__)


class JournalClosed(RunError):
    """An event was recorded after the run finished or its journal was closed."""


def _to_json_bytes(data: Any) -> bytes:
    # A lone surrogate (from output decoded with surrogateescape) is written as a JSON `\udcXX` escape.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace")


def _slug(text: str, fallback: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")[:40] or fallback


def messages_file(run_dir: Path, agent: str) -> Path:
    """Where a run keeps the message history of the agent named `agent`."""
    return run_dir / MESSAGES_DIR / f"{_slug(agent, 'agent')}.json"


class Journal:
    """Records one run under its directory; made by `open_run`. `record` may be called from several threads."""

    def __init__(self, run_dir: Path, header: RunHeader, redactor: Redactor, index: RunIndex) -> None:
        """Journal into `run_dir`, whose `run.json` already holds `header`; use `open_run` rather than this."""
        self._dir = run_dir
        self._header = header
        self._redactor = redactor
        self._index = index
        self._lock = threading.Lock()
        self._events = (run_dir / EVENTS_FILE).open("ab")  # O_APPEND: a line is only ever added at the end

    @property
    def run_id(self) -> str:
        """The run's id, also its directory's name."""
        return self._header.run_id

    @property
    def dir(self) -> Path:
        """The run's directory."""
        return self._dir

    @property
    def header(self) -> RunHeader:
        """A copy of the header as it stands now (usage and event count are kept up to date in memory)."""
        with self._lock:
            return self._header.model_copy(deep=True)

    @property
    def usage(self) -> Usage:
        """The usage of every `model_response` recorded so far."""
        with self._lock:
            return self._header.usage.model_copy()

    def record(self, event: Event) -> Event:
        """Append `event` as one JSON line with the next seq (from 1) and every string redacted; returns it so."""
        data = event.model_dump(mode="json")
        data = {key: value if key == "type" else self._redactor.redact_obj(value) for key, value in data.items()}
        with self._lock:
            if self._events.closed:
                raise JournalClosed(f"run {self.run_id} is finished; nothing more can be recorded")
            self._header.event_count += 1
            data["seq"] = self._header.event_count
            self._events.write(_to_json_bytes(data) + b"\n")
            # flush hands the line to the OS, which keeps it however this process dies; fsync would only add
            # safety against a power cut or a kernel crash, at milliseconds per event. `finish` syncs once.
            self._events.flush()
            if isinstance(event, ModelResponse):
                self._header.usage = self._header.usage + event.usage
        # The event's own class reads it back: the union of every event would be built whole on a run's first line.
        return type(event).model_validate(data)

    def save_messages(self, agent: str, data: bytes) -> Path:
        """Write an agent's message history (JSON, e.g. pydantic-ai's) to `messages/<agent>.json`, redacted."""
        path = messages_file(self._dir, agent)
        path.parent.mkdir(exist_ok=True)
        try:
            redacted = _to_json_bytes(self._redactor.redact_obj(json.loads(data)))
        except ValueError:  # not JSON (or not UTF-8): redact it as text, keeping undecodable bytes as they were
            redacted = self._redactor.redact(data.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
        atomic_write(path, redacted)
        return path

    def save_text(self, relative: str, text: str) -> Path:
        """Write a text file of the run (such as a step's starting diff) under the run directory, redacted."""
        path = self._dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, self._redactor.redact(text).encode("utf-8", "surrogateescape"))
        return path

    def write_diff(self, text: str) -> Path:
        """Write the run's final diff to `final.diff`, redacted (so it may no longer apply where a secret was)."""
        path = self._dir / DIFF_FILE
        atomic_write(path, self._redactor.redact(text).encode("utf-8", "surrogateescape"))
        return path

    def finish(self, status: FinalStatus, reason: str = "", failed_step: str | None = None) -> RunHeader:
        """Close the event log and rewrite `run.json` with the final status, time, usage and event count."""
        if status not in get_args(FinalStatus):
            raise ValueError(f"a run cannot finish as {status!r}; use one of {', '.join(get_args(FinalStatus))}")
        return self._seal(status=status, reason=self._redactor.redact(reason), failed_step=failed_step, finished=now())

    def detach(self) -> RunHeader:
        """Close the event log and write the header's new event count, its status kept: for a run that waits."""
        return self._seal()

    def _seal(self, **changes: Any) -> RunHeader:
        """Flush, sync and close the event log, then write and index the header with `changes` made to it."""
        with self._lock:
            if not self._events.closed:
                self._events.flush()
                os.fsync(self._events.fileno())
                self._events.close()
            for name, value in changes.items():
                setattr(self._header, name, value)
            header = self._header.model_copy(deep=True)
        write_header(self._dir, header)
        _index_quietly(self._index, header)
        return header

    def close(self) -> None:
        """Close the event log without finishing the run: readers show it as running while this process lives."""
        with self._lock:
            self._events.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Finish a run left unfinished: "cancelled" on Ctrl-C, else "failed" with the error as the reason."""
        if self._header.finished is None:
            if exc_type is not None and issubclass(exc_type, KeyboardInterrupt):
                self.finish("cancelled", "interrupted by the user")
            elif exc is not None:
                self.finish("failed", f"{type(exc).__name__}: {exc}")
            else:
                self.finish("failed", "the run ended without a final status")
        self.close()


def _index_quietly(index: RunIndex, header: RunHeader) -> None:
    # The index is a cache of the run directories: a busy or read-only one must not fail the run. Readers add
    # runs missing from it and re-read those it still shows as running, so a missed update heals itself.
    try:
        index.upsert([header])
    except sqlite3.Error as exc:
        _log.warning("could not index run %s in %s: %s", header.run_id, index.path, exc)


def _make_run_dir(runs: Path, task: str, started: datetime) -> tuple[str, Path]:
    runs.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    while True:
        run_id = f"{stamp}-{_slug(task, 'task')}-{secrets.token_hex(2)}"
        try:
            (runs / run_id).mkdir()
        except FileExistsError:
            continue  # two runs of one task in one second drew the same suffix
        return run_id, runs / run_id


def open_run(
    root: Path,
    *,
    task: str,
    goal: str,
    task_text: str,
    model: str,
    workspace: str,
    git_commit: str | None = None,
    manual_minutes: float | None = None,
    redactor: Redactor | None = None,
    params: Mapping[str, ParamValue] | None = None,
    batch: BatchLink | None = None,
) -> Journal:
    """Start the journal of a new run in `<root>/runs/<run-id>/`; the redactor defaults to this environment's.

    The run id is `YYYYMMDD-HHMMSS-<task>-<4 hex>`, the time in UTC, so ids sort by start to the second.
    """
    redactor = redactor or Redactor.from_environ(os.environ)
    started = now()
    run_id, run_dir = _make_run_dir(root / RUNS_DIR, task, started)
    stored_task = redactor.redact(task_text).encode()
    (run_dir / TASK_FILE).write_bytes(stored_task)
    header = RunHeader(
        run_id=run_id,
        task=task,
        task_sha256=hashlib.sha256(stored_task).hexdigest(),
        goal=redactor.redact(goal),
        model=redactor.redact(model),
        scripted=model.startswith("scripted:"),
        workspace=redactor.redact(workspace),
        git_commit=git_commit,
        manual_minutes=manual_minutes,
        params={name: redactor.redact(v) if isinstance(v, str) else v for name, v in (params or {}).items()},
        batch=batch,
        started=started,
        host=socket.gethostname(),
        pid=os.getpid(),
        pid_start=process_start_ticks(os.getpid()),
    )
    write_header(run_dir, header)
    index = RunIndex(root / INDEX_FILE)
    _index_quietly(index, header)
    return Journal(run_dir, header, redactor, index)
