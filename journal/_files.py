"""Small file-system helpers shared by the journal's writer and readers."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a reader (or a crash) sees the old file or the new one, never a mix."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            # Rare and small writes: worth making durable before the rename, so a power cut cannot leave an empty file.
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat from field 3 (state) on; None where there is no such file (not Linux, gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name before them is in parentheses and may itself hold spaces or parentheses.
    return stat[stat.rindex(")") + 2 :].split()


def process_start_ticks(pid: int) -> int | None:
    """When process `pid` started, in clock ticks since boot (Linux); None where that cannot be read."""
    fields = _proc_stat(pid)
    return int(fields[19]) if fields else None  # field 22 of proc(5)


def process_alive(pid: int, start_ticks: int | None) -> bool:
    """Whether process `pid` runs on this host and, where its start time was noted, is still the same process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    fields = _proc_stat(pid)
    if fields is None:
        return True
    if fields[0] in ("Z", "X"):  # a zombie has died; only its exit status waits to be collected
        return False
    return start_ticks is None or int(fields[19]) == start_ticks
