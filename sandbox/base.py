"""The sandbox seam: a protocol every backend fits, the spec that opens one, and what a command returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from interns.errors import EnvironmentProblem

if TYPE_CHECKING:
    from interns.sandbox.network import Connection, NetworkAccess

BackendName = Literal["bubblewrap", "docker", "local"]

WORKSPACE_MOUNT = "/workspace"
"""Where the workspace appears inside an isolating sandbox."""

DEFAULT_OUTPUT_LIMIT = 256 * 1024
"""Bytes of stdout and of stderr kept per command; the rest is read and dropped."""


class SandboxError(EnvironmentProblem):
    """Base of the sandbox's own errors, never a command's failure: the environment must act."""


class SandboxUnavailable(SandboxError):
    """The backend itself is missing or broke; the message says what to do about it."""


@dataclass(frozen=True)
class SandboxSpec:
    """Everything needed to open a sandbox over one workspace."""

    backend: BackendName
    workspace: Path
    network: bool | NetworkAccess = False
    """False: no network; True: the backend's open network (never the host's loopback); a `NetworkAccess`: only the
    hosts it allows, through a host-side proxy that is the sandbox's one way out."""
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 300.0
    output_limit: int = DEFAULT_OUTPUT_LIMIT
    run_id: str = ""
    """The run this sandbox works for; the docker backend labels its container with it."""
    image: str | None = None
    """The container image for the docker backend; None means the kit's own worker image."""
    processes: int = 1024
    """Processes and threads a command may run at once (a fork bomb stops here)."""
    file_size_mb: int = 1024
    """Megabytes one file a command writes may grow to."""
    memory_mb: int = 4096
    """Megabytes of memory a command may take: per process with bubblewrap and local, the container's with docker."""
    read_only: tuple[tuple[Path, str], ...] = ()
    """(host path, path under the workspace mount) shown read-only over the workspace; bubblewrap and docker only."""
    on_connection: Callable[[Connection], object] | None = None
    """Told of every connection the proxy allowed or refused (with a `NetworkAccess` network only)."""


@dataclass(frozen=True)
class ExecResult:
    """The outcome of one command: exit code, captured output and how it ended."""

    exit_code: int
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False
    truncated: bool = False

    @property
    def ok(self) -> bool:
        """Whether the command exited 0 within its time."""
        return self.exit_code == 0 and not self.timed_out


@runtime_checkable
class Sandbox(Protocol):
    """A place to run commands and touch files of one workspace, and nothing else."""

    spec: SandboxSpec

    @property
    def workdir(self) -> str:
        """The workspace root as commands inside the sandbox see it."""
        ...

    async def exec(
        self,
        argv: Sequence[str],
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        stdin: str | bytes | None = None,
        timeout: float | None = None,
    ) -> ExecResult:
        """Run argv inside the sandbox; `cwd` is relative to the workspace root.

        The environment is PATH, HOME, LANG and TERM, then spec.env, then `env`: nothing from the host.
        `timeout` defaults to spec.timeout; running out of it gives timed_out=True and exit code 124.
        A command that fails or does not exist is a result with a non-zero exit code, not an exception.
        """
        ...

    async def read_file(self, path: str) -> bytes:
        """Read a file by its path relative to the workspace root.

        FileNotFoundError, IsADirectoryError, PermissionError or OSError say why it could not
        (errors to show the model); SandboxUnavailable only when the backend itself broke.
        """
        ...

    async def write_file(self, path: str, data: bytes) -> None:
        """Create or replace a file by its path relative to the workspace root, making parent folders.

        Raises the same file errors as read_file.
        """
        ...

    async def aclose(self) -> None:
        """Release whatever the sandbox holds."""
        ...
