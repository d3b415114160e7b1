"""Lines of a file in a folder run's worked copy (`<run_dir>/workspace`), for a final diff's "expand context".

The worked copy is what a sandbox wrote, so it is hostile: each folder of the path is opened without following a
link, the file must be a regular file, `..` and absolute paths are refused, and only so many bytes are read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

WORKED_COPY = "workspace"
"""The run folder's copy of a folder workspace; a repo run has none."""
FILE_BYTES_LIMIT = 4_000_000
"""Bytes of a file read at most; lines past it are not served."""
LINES_LIMIT = 2_000
"""Lines sent in one answer at most."""
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # NONBLOCK: a FIFO must not hang us


def has_worked_copy(run_dir: Path) -> bool:
    """Whether the run keeps a worked copy whose files can widen its diff (a folder run does, a repo run does not)."""
    return (run_dir / WORKED_COPY).is_dir() and not (run_dir / WORKED_COPY).is_symlink()


def file_lines(run_dir: Path, rel: str, start: int, end: int) -> dict[str, Any]:
    """Lines `start` to `end` (from 1, both included) of the file at `rel` in the run's worked copy, and its count."""
    names = _names(rel)
    if start < 1 or end < start:
        raise ValueError(f"not a range of lines: {start} to {end}")
    if not has_worked_copy(run_dir):
        raise KeyError("this run keeps no worked copy: only a folder run's diff can show more lines")
    data = _read(run_dir / WORKED_COPY, names)
    truncated = len(data) > FILE_BYTES_LIMIT
    if truncated:
        data = data[: data.rfind(b"\n", 0, FILE_BYTES_LIMIT) + 1]
    lines = data.decode("utf-8", "replace").split("\n")
    if lines[-1] == "":
        lines.pop()  # the end of the last line, not a line of its own
    end = min(end, start + LINES_LIMIT - 1)
    return {"path": rel, "start": start, "lines": lines[start - 1 : end], "total": len(lines), "truncated": truncated}


def _names(rel: str) -> list[str]:
    """The folders and file name of a relative path, refusing anything that could leave the worked copy."""
    if not rel or rel.startswith("/") or "\0" in rel or "\\" in rel:
        raise ValueError(f"not a path inside the worked copy: {rel!r}")
    names = rel.split("/")
    if any(name in ("", ".", "..") for name in names):
        raise ValueError(f"not a path inside the worked copy: {rel!r}")
    return names


def _read(root: Path, names: list[str]) -> bytes:
    """The first bytes (one more than the limit) of the regular file `names` under `root`, following no link."""
    here = os.open(root, _DIR_FLAGS)
    try:
        for name in names[:-1]:
            try:
                inner = os.open(name, _DIR_FLAGS, dir_fd=here)
            except OSError:
                raise KeyError(f"no folder {name!r} in the worked copy (or it is a link)") from None
            os.close(here)
            here = inner
        try:
            fd = os.open(names[-1], _READ_FLAGS, dir_fd=here)
        except OSError:
            raise KeyError(f"no file {'/'.join(names)!r} in the worked copy (or it is a link)") from None
    finally:
        os.close(here)
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise KeyError(f"{'/'.join(names)!r} in the worked copy is not a regular file")
        return file.read(FILE_BYTES_LIMIT + 1)
