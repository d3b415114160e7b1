"""A run directory read as it is written, as the chunks that bring a copy of it up to date.

`events.jsonl` is append-only: only its new complete lines are sent. Every other file is sent whole when it changed.
The worked copy (`workspace/`) changes until the run ends, so it is sent once, at the end. Files are read without
following links, and anything that is not a regular file is left out: a sandbox wrote some of them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from interns.agents.cluster.messages import WHOLE, Chunk

__all__ = ["MAX_FILE_BYTES", "RunTail"]

EVENTS = "events.jsonl"
WORKSPACE = "workspace"
MAX_FILE_BYTES = 64 * 1024 * 1024
"""A file larger than this is not sent whole (a journal is appended in pieces, so it has no such bound)."""


class RunTail:
    """Follows one run directory and says what changed since the last look."""

    def __init__(self, run_dir: Path) -> None:
        """Follow the run in `run_dir`."""
        self.run_dir, self.run_id = run_dir, run_dir.name
        self.sent: dict[str, tuple[int, int]] = {}
        """Per file: (size, mtime_ns) when it was last sent whole, or (bytes sent, 0) for the events."""

    def chunks(self, *, final: bool = False) -> Iterator[Chunk]:
        """The chunks since the last call; with `final`, also the worked copy."""
        for relative in self._files(final):
            path = self.run_dir / relative
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            if relative == EVENTS:
                yield from self._appended(path, info.st_size)
            elif self.sent.get(relative) != (info.st_size, info.st_mtime_ns) and info.st_size <= MAX_FILE_BYTES:
                data = _read(path, 0, info.st_size)
                if data is not None:
                    self.sent[relative] = (info.st_size, info.st_mtime_ns)
                    yield Chunk(self.run_id, relative, WHOLE, data)

    def _appended(self, path: Path, size: int) -> Iterator[Chunk]:
        offset = self.sent.get(EVENTS, (0, 0))[0]
        if size <= offset:
            return
        data = _read(path, offset, size - offset)
        if not data:
            return
        complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits for the next look
        if complete:
            self.sent[EVENTS] = (offset + len(complete), 0)
            yield Chunk(self.run_id, EVENTS, offset, complete)

    def _files(self, final: bool) -> list[str]:
        """Files under the run directory (the worked copy only when `final`) as relative paths, links unfollowed."""
        found = []
        for folder, dirs, files in os.walk(self.run_dir, followlinks=False):
            relative_folder = Path(folder).relative_to(self.run_dir)
            if relative_folder == Path(".") and not final and WORKSPACE in dirs:
                dirs.remove(WORKSPACE)
            found += [(relative_folder / name).as_posix() for name in files]
        return sorted(found, key=lambda name: name != EVENTS)  # events first: a header never runs ahead of them


def _read(path: Path, offset: int, length: int) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        return os.pread(fd, length, offset)
    finally:
        os.close(fd)
