"""A process cap that binds even for root: one pids cgroup per command, where this host lets us make one.

RLIMIT_NPROC does not bind for host root (the kernel exempts its user), and bubblewrap maps the
sandbox's uid to the invoking user, so when root runs the sandbox a fork bomb is stopped only
by a cgroup's `pids.max`. One is made under this process's own pids cgroup: a cgroup v1 `pids`
hierarchy, or a cgroup v2 one whose `cgroup.subtree_control` already delegates `pids`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

_ENTER_THEN_EXEC = 'echo $$ > "$0" && exec "$@"'
_EMPTY_WAIT = 2.0

log = logging.getLogger(__name__)


def _mount_points(mountinfo: str) -> list[tuple[str, str, str]]:
    """(mount point, root inside the hierarchy, super options or '') of every cgroup mount in a mountinfo text."""
    found = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if " - " not in line or len(fields) < 10:
            continue
        tail = line.split(" - ", 1)[1].split()
        if tail[0] == "cgroup2":
            found.append((fields[4], fields[3], "cgroup2"))
        elif tail[0] == "cgroup" and "pids" in tail[2].split(","):
            found.append((fields[4], fields[3], "pids"))
    return found


def own_pids_cgroup(proc: Path = Path("/proc/self")) -> Path | None:
    """The folder of this process's cgroup that has the pids controller for its children, or None."""
    try:
        memberships = (proc / "cgroup").read_text().splitlines()
        mounts = _mount_points((proc / "mountinfo").read_text())
    except OSError:
        return None
    for mount_point, root, kind in mounts:
        for line in memberships:
            _id, controllers, path = line.split(":", 2)
            v1 = kind == "pids" and "pids" in controllers.split(",")
            if not (v1 or (kind == "cgroup2" and controllers == "")):
                continue
            relative = os.path.relpath(path, root) if path.startswith(root) else None
            if relative is None or relative.startswith(".."):
                continue
            folder = Path(mount_point) / relative
            if kind == "cgroup2":
                try:
                    if "pids" not in (folder / "cgroup.subtree_control").read_text().split():
                        continue
                except OSError:
                    continue
            if os.access(folder, os.W_OK):
                return folder
    return None


class PidsCgroup:
    """One command's cgroup: at most `limit` processes and threads; whatever is left in it is killed at the end."""

    def __init__(self, parent: Path, limit: int) -> None:
        self.path = parent / f"interns-{os.getpid()}-{secrets.token_hex(4)}"
        self.path.mkdir()
        try:
            (self.path / "pids.max").write_text(str(limit))
        except OSError:
            self.path.rmdir()
            raise

    def wrap(self, command: list[str]) -> list[str]:
        """The command, started by a shell that first moves itself into this cgroup."""
        return ["/bin/sh", "-c", _ENTER_THEN_EXEC, str(self.path / "cgroup.procs"), *command]

    def _members(self) -> list[int]:
        try:
            return [int(pid) for pid in (self.path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def remove(self) -> bool:
        """Kill what is left in the cgroup and remove it; False when it is still busy after a short wait."""
        deadline = time.monotonic() + _EMPTY_WAIT
        while True:
            for pid in self._members():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            try:
                self.path.rmdir()
                return True
            except FileNotFoundError:
                return True
            except OSError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.001)


def remove_stale(parent: Path) -> None:
    """Remove the empty cgroups left under `parent` by processes of ours that are gone (killed mid-command)."""
    for folder in parent.glob("interns-*-*"):
        owner = folder.name.split("-")[1]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            with contextlib.suppress(OSError):
                folder.rmdir()


def _said_if_busy(removal: asyncio.Future[bool], path: Path) -> None:
    if not removal.cancelled() and removal.exception() is None and not removal.result():
        log.warning("could not remove the cgroup %s: processes are still in it", path)


@contextlib.asynccontextmanager
async def pids_cgroup(parent: Path | None, limit: int) -> AsyncIterator[PidsCgroup | None]:
    """A fresh cgroup under `parent` for one command, removed afterwards; None when there is no parent."""
    if parent is None:
        yield None
        return
    group = PidsCgroup(parent, limit)
    try:
        yield group
    finally:
        # Shielded: when the command was cancelled, the removal still runs to its end.
        removal = asyncio.ensure_future(asyncio.to_thread(group.remove))
        removal.add_done_callback(lambda done: _said_if_busy(done, group.path))
        await asyncio.shield(removal)
