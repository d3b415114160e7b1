"""What the host offers to confine a command beyond namespaces, and the launcher command lines that apply it.

Each layer is found once per sandbox and dropped, with one logged notice, where the host lacks
it: the launcher (`confine.py`, run by a python3 the sandbox can see) for resource limits and
Landlock, bubblewrap's seccomp filter, and a pids cgroup for root.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from interns.sandbox.base import WORKSPACE_MOUNT, SandboxSpec
from interns.sandbox.bubblewrap.args import SANDBOX_HOME
from interns.sandbox.confinement import launcher as confine
from interns.sandbox.confinement.pids_cgroup import own_pids_cgroup, remove_stale
from interns.sandbox.confinement.seccomp import deny_filter, machine_arch

log = logging.getLogger(__name__)

SANDBOX_PYTHONS = ("/usr/bin/python3", "/usr/local/bin/python3")
"""Where the launcher's interpreter is looked for: under /usr, which every bubblewrap sandbox shows."""
WRITABLE_IN_SANDBOX = (WORKSPACE_MOUNT, "/tmp", SANDBOX_HOME, "/dev")
"""What Landlock leaves writable inside a bubblewrap sandbox; the mount layout already makes the rest read-only."""
CONFINE_SOURCE = Path(confine.__file__).read_text()
MB = 1024 * 1024

_said: set[str] = set()


def notice(message: str) -> None:
    """Log a confinement layer this host lacks, once per process."""
    if message not in _said:
        _said.add(message)
        log.warning("%s", message)


def rlimits(spec: SandboxSpec, *, processes: bool) -> dict[str, int]:
    """The spec's limits as rlimits: file size, data memory and, when it binds, processes."""
    limits = {"FSIZE": spec.file_size_mb * MB, "DATA": spec.memory_mb * MB}
    if processes:
        limits["NPROC"] = spec.processes
    return limits


def launcher(python: str, config: dict[str, object], argv: Sequence[str]) -> list[str]:
    """The command line that confines itself as `config` says, then runs argv."""
    return [python, "-I", "-S", "-c", CONFINE_SOURCE, json.dumps(config, sort_keys=True), *argv]


def sandbox_python(candidates: Sequence[str] = SANDBOX_PYTHONS) -> str | None:
    """The first interpreter among `candidates` that exists and may be run."""
    return next((path for path in candidates if os.access(path, os.X_OK)), None)


@dataclass(frozen=True)
class HostConfinement:
    """The layers this host can add to a bubblewrap sandbox."""

    python: str | None
    """The launcher's interpreter; None means no rlimits and no Landlock."""
    landlock_abi: int
    """The kernel's Landlock ABI version, 0 when it has none."""
    seccomp: bytes | None
    """The seccomp filter for bwrap; None on an architecture the filter does not know."""
    pids_parent: Path | None
    """Where to make a pids cgroup per command; None when this process may not."""

    @classmethod
    def probe(cls) -> HostConfinement:
        """Find what this host offers, logging a notice for each layer it lacks."""
        python = sandbox_python()
        if python is None:
            notice(
                "no python3 under /usr: sandboxed commands run without resource limits or Landlock "
                "(install python3 to get them)"
            )
        abi = confine.landlock_abi()
        if python and abi < 1:
            notice("this kernel offers no Landlock: the mount namespace alone keeps writes to the workspace")
        arch = machine_arch()
        if arch is None:
            notice(f"no seccomp filter for the {os.uname().machine} architecture: syscalls are not filtered")
        pids_parent = own_pids_cgroup()
        if pids_parent is None and os.geteuid() == 0:
            notice("no writable pids cgroup: as root, the sandbox's process limit cannot bind")
        elif pids_parent is not None:
            remove_stale(pids_parent)
        return cls(python, abi, deny_filter(arch) if arch else None, pids_parent)

    def without(self, *, python: bool = False, seccomp: bool = False) -> HostConfinement:
        """The same layers minus the ones named: for a host where they failed to start."""
        return HostConfinement(
            None if python else self.python,
            self.landlock_abi,
            None if seccomp else self.seccomp,
            self.pids_parent,
        )

    def server_config(self, spec: SandboxSpec, *, user_namespace: bool) -> dict[str, object]:
        """What the command server confines itself and each command with (see `bubblewrap/command_server.py`).

        No POSIX message queue may be made: the IPC namespace outlives each command, and queues cannot be listed
        to clear them between commands.
        """
        limits = {**rlimits(spec, processes=user_namespace), "MSGQUEUE": 0}
        config: dict[str, object] = {"rlimits": limits, "emptied": ["/tmp", SANDBOX_HOME], "abi": self.landlock_abi}
        if self.landlock_abi >= 1:
            config["writable"], config["scoped"] = list(WRITABLE_IN_SANDBOX), True
        return config

    def confined(self, spec: SandboxSpec, argv: Sequence[str], *, user_namespace: bool) -> list[str]:
        """argv behind the launcher inside a bubblewrap sandbox, or argv itself when there is no launcher."""
        if self.python is None:
            return list(argv)
        config: dict[str, object] = {"rlimits": rlimits(spec, processes=user_namespace)}
        if self.landlock_abi >= 1:
            config["writable"], config["scoped"] = list(WRITABLE_IN_SANDBOX), True
        return launcher(self.python, config, argv)
