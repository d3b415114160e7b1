"""The driver's side of a remote run: the chunks a node streams written into the run store as they come.

Paths are checked before anything is written (relative, no `..`, no link on the way), appends land at their offset
once (a chunk sent twice is not written twice), and each new header is put in the index, so `interns runs`,
`interns show --follow` and the viewer see a remote run as it goes.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from interns.agents.cluster.messages import WHOLE, Chunk
from interns.errors import RunError
from interns.journal import RunIndex
from interns.journal._files import atomic_write
from interns.journal.header import HEADER_FILE, read_stored_header, write_header
from interns.journal.layout import EVENTS_FILE, INDEX_FILE, RUNS_DIR

__all__ = ["JournalSink", "SinkError"]


class SinkError(RunError, ValueError):
    """A chunk that names a path outside its run, or a run id that is not one."""


class JournalSink:
    """Writes streamed runs under one journal root (`<root>/runs/<run-id>/`)."""

    def __init__(self, root: Path) -> None:
        """Runs go to `root/runs/`, their headers into `root/index.db`."""
        self.runs = root / RUNS_DIR
        self.index = RunIndex(root / INDEX_FILE)

    def write(self, chunk: Chunk) -> None:
        """Put one chunk in place; a new header is indexed."""
        path = self._target(chunk)
        path.parent.mkdir(parents=True, exist_ok=True)
        if chunk.offset == WHOLE:
            if chunk.path == HEADER_FILE:  # readers expect a run with a header to have its (maybe empty) events
                os.close(os.open(path.parent / EVENTS_FILE, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644))
            atomic_write(path, chunk.data)
            if chunk.path == HEADER_FILE:
                self.index.upsert([read_stored_header(path.parent)])
            return
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            size = os.fstat(fd).st_size
            skip = size - chunk.offset  # what of this chunk is already there
            if skip < 0:
                raise SinkError(f"{chunk.run_id}/{chunk.path}: a gap before byte {chunk.offset} (have {size})")
            if skip < len(chunk.data):
                os.pwrite(fd, chunk.data[skip:], size)
        finally:
            os.close(fd)

    def interrupt(self, run_id: str, reason: str) -> None:
        """Mark a run whose node stopped as interrupted, so its row runs again and it is never counted."""
        run_dir = self._run_dir(run_id)
        try:
            header = read_stored_header(run_dir)
        except (OSError, ValueError):
            return
        if header.status != "running":
            return  # it finished before its node went
        stopped = header.model_copy(update={"status": "interrupted", "reason": reason})
        write_header(run_dir, stopped)
        self.index.upsert([stopped])

    def _run_dir(self, run_id: str) -> Path:
        if not run_id or "/" in run_id or run_id.startswith("."):
            raise SinkError(f"{run_id!r} is not a run id")
        return self.runs / run_id

    def _target(self, chunk: Chunk) -> Path:
        relative = PurePosixPath(chunk.path)
        if relative.is_absolute() or not relative.parts or any(p in ("..", ".", "") for p in relative.parts):
            raise SinkError(f"{chunk.run_id}: {chunk.path!r} is not a path inside the run")
        run_dir = self._run_dir(chunk.run_id)
        current = run_dir
        for part in relative.parts[:-1]:  # no link on the way, so nothing lands outside the run
            current = current / part
            if current.is_symlink():
                raise SinkError(f"{chunk.run_id}: {chunk.path!r} goes through a link")
        return run_dir.joinpath(*relative.parts)
