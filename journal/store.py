"""Reading runs back: list them through the index, find one by id, prefix or `last`, stream its events."""

from __future__ import annotations

import builtins
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from interns.errors import RunError
from interns.journal.formats import stored_version, upgrade_event
from interns.journal.header import HEADER_FILE, RunHeader, read_header, read_stored_header
from interns.journal.index import RunIndex
from interns.journal.layout import EVENTS_FILE, INDEX_FILE, RUNS_DIR
from interns.journal.usage import RunStatus

if TYPE_CHECKING:
    from interns.journal.events import Event, UnknownEvent

LATEST_REFS = ("last", "latest")
LIVE = ("running", "interrupted")
"""Statuses the index cannot count: a run written as running may have lost its writer (then it is interrupted)."""


SETTLED_NS = 3_000_000_000
"""How long the run folder must have gone unchanged before the index records its mtime as synced: a run added within
a coarse clock tick of the scan could otherwise leave the folder's mtime as it was (some file systems keep seconds)."""


class RunLookupError(RunError, LookupError):
    """A run reference that names no single run."""


class RunNotFound(RunLookupError):
    """No run matches the reference."""


class AmbiguousRun(RunLookupError):
    """More than one run starts with the reference; `candidates` lists them."""

    def __init__(self, ref: str, candidates: list[str]) -> None:
        """Name the reference and the runs it matches."""
        self.candidates = candidates
        shown = "\n  ".join(candidates[:10]) + ("\n  ..." if len(candidates) > 10 else "")
        super().__init__(f"{ref!r} matches {len(candidates)} runs; give more of the id:\n  {shown}")


class RunStore:
    """The runs under one journal root (`<root>/runs/`, `<root>/index.db`), as written by `open_run`."""

    def __init__(self, root: Path) -> None:
        """Read the runs under `root`; nothing is opened until asked for."""
        self.root = root
        self.runs_dir = root / RUNS_DIR
        self.index = RunIndex(root / INDEX_FILE)
        self._in_step: tuple[int, int, int] | None = None
        """The run folder's mtime and the index file's inode and ctime when the two last held the same runs."""

    def list(
        self, status: RunStatus | None = None, task: str | None = None, limit: int | None = None
    ) -> list[RunHeader]:
        """Run headers, newest first, optionally only of one status (`interrupted` too) and one task."""
        if not self.runs_dir.is_dir():  # nothing to list, and reading must not make a journal where there is none
            return []
        self._sync_index()
        # The index holds statuses as written: "interrupted" is a "running" whose writer is gone.
        stored_status = "running" if status == "interrupted" else status
        live_filter = status in ("running", "interrupted")
        headers = self.index.query(status=stored_status, task=task, limit=None if live_filter else limit)
        headers = [self._refresh(header) if header.status == "running" else header for header in headers]
        if live_filter:
            headers = [header for header in headers if header.status == status][:limit]
        return headers

    def page(
        self, status: RunStatus | None = None, task: str | None = None, limit: int = 200
    ) -> tuple[builtins.list[RunHeader], int]:
        """The newest `limit` run headers as `list` gives them, and how many runs it would give without a limit,
        counted in the index rather than read: the first screen of 100,000 runs reads 200 headers, not all."""
        headers = self.list(status=status, task=task, limit=None if status in LIVE else limit)
        if status in LIVE:  # judged run by run on reading; few runs are ever marked running
            return headers[:limit], len(headers)
        return headers, self.index.count(status=status, task=task)

    def batch_runs(self, batch_id: str, row: int | None = None) -> builtins.list[RunHeader]:
        """The runs of one batch (or eval), or of one of its rows, oldest first, a "running" one whose writer is gone
        read as "interrupted".

        One row's runs are read from the index alone, as their writers put them there: a batch asks after each row
        as it ends, and looking through every run directory each time would make a batch quadratic.
        """
        if not self.runs_dir.is_dir():
            return []
        if row is None:
            self._sync_index()
        headers = self.index.query(batch_id=batch_id, batch_row=row)
        return [self._refresh(header) if header.status == "running" else header for header in reversed(headers)]

    def rebuild_index(self) -> int:
        """Rebuild the index from the run directories; returns how many runs it now holds."""
        return self.index.replace_all(self._read_headers(self._run_ids_on_disk()))

    def load(self, ref: str) -> RunHeader:
        """The header of the run `ref` names: a full run id, a unique prefix of one, or `last` / `latest`."""
        return read_header(self.dir(ref))

    def dir(self, ref: str) -> Path:
        """The directory of the run `ref` names (see `load`)."""
        return self.runs_dir / self.resolve(ref)

    def resolve(self, ref: str) -> str:
        """The full id of the run `ref` names (see `load`); raises `RunNotFound` or `AmbiguousRun`."""
        if ref in LATEST_REFS:
            newest = self.list(limit=1)
            if not newest:
                raise RunNotFound(f"there are no runs in {self.runs_dir}")
            return newest[0].run_id
        on_disk = self._run_ids_on_disk()
        if ref in on_disk:
            return ref
        matches = sorted((run_id for run_id in on_disk if ref and run_id.startswith(ref)), reverse=True)
        if len(matches) > 1:
            raise AmbiguousRun(ref, matches)
        if not matches:
            recent = "\n  ".join(sorted(on_disk, reverse=True)[:5])
            hint = f"; the most recent are:\n  {recent}" if recent else f"; there are no runs in {self.runs_dir}"
            raise RunNotFound(f"no run matches {ref!r}{hint}")
        return matches[0]

    def events(self, ref: str) -> Iterator[Event | UnknownEvent]:
        """Stream a run's events in order, line by line; safe to call while the run is still being written.

        A line this version cannot read (a newer event type, damage) comes as an `UnknownEvent`, except an
        incomplete last line, left by a crash in the middle of a write or by a write still under way: it is skipped.
        """
        from interns.journal.events import UnknownEvent, parse_event  # a listing never builds the event models

        run_dir = self.dir(ref)
        version = stored_version(json.loads((run_dir / HEADER_FILE).read_bytes()))
        with (run_dir / EVENTS_FILE).open("rb") as file:
            for line in file:
                try:
                    data = json.loads(line)
                except ValueError as exc:
                    if not line.endswith(b"\n"):
                        return
                    text = line.decode("utf-8", "replace")
                    yield UnknownEvent(type="", data={"line": text[:1000]}, error=f"not a JSON line: {exc}")
                    continue
                if isinstance(data, dict):
                    yield parse_event(upgrade_event(data, version))
                else:
                    yield UnknownEvent(type="", data={"line": data}, error="not a JSON object")

    def _run_ids_on_disk(self) -> set[str]:
        try:
            with os.scandir(self.runs_dir) as entries:
                return {entry.name for entry in entries if entry.is_dir() and not entry.name.startswith(".")}
        except FileNotFoundError:
            return set()

    def _read_headers(self, run_ids: set[str]) -> Iterator[RunHeader]:
        """Headers as written (never "interrupted": the index keeps what is on disk, liveness is judged on reading)."""
        for run_id in run_ids:
            try:
                yield read_stored_header(self.runs_dir / run_id)
            except (OSError, ValueError):
                continue  # not a run (yet): a directory being created, or a stray one

    def _sync_index(self) -> None:
        """Add runs the index lacks and drop those whose directories are gone (a missing index is made anew).

        Skipped while neither the run folder (a run added or removed) nor the index file (deleted, rebuilt) changed
        since they last held the same runs: comparing 100,000 run ids costs more than the page a viewer asks for.
        A new process (each `interns runs`) skips it too when the folder's mtime is the one the index recorded.
        """
        marks = self._marks()
        if marks is not None and marks == self._in_step:
            return
        if marks is not None and self._in_step is None and self.index.synced_with() == marks[0]:
            self._in_step = marks
            return
        on_disk, indexed = self._run_ids_on_disk(), self.index.run_ids()
        if indexed - on_disk:
            self.index.delete(indexed - on_disk)
        missing = on_disk - indexed
        headers = builtins.list(self._read_headers(missing)) if missing else []
        if headers:
            self.index.upsert(headers)
        if len(headers) != len(missing):  # a run without its header yet: look again
            self._in_step = None
            return
        self._in_step = marks
        if marks is not None and time.time_ns() - marks[0] > SETTLED_NS:
            self.index.mark_synced(marks[0])

    def _marks(self) -> tuple[int, int, int] | None:
        try:
            index = self.index.path.stat()  # a file made anew may get the inode of the one deleted, not its ctime
            return self.runs_dir.stat().st_mtime_ns, index.st_ino, index.st_ctime_ns
        except OSError:
            return None

    def _refresh(self, header: RunHeader) -> RunHeader:
        """A header the index shows as running, re-read from its directory: finished since, or interrupted."""
        try:
            current = read_header(self.runs_dir / header.run_id)
        except (OSError, ValueError):
            return header
        if current.status not in ("running", "interrupted"):
            self.index.upsert([current])  # the writer could not update the index when it finished
        return current
