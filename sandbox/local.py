"""The local backend: no isolation, commands run on the host in the workspace folder with a clean env."""

from __future__ import annotations

import asyncio
import errno
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from interns.sandbox.base import ExecResult, SandboxSpec, SandboxUnavailable
from interns.sandbox.confinement.host import launcher, notice, rlimits
from interns.sandbox.process import clean_env, run_process

COMMAND_NOT_RUN_EXIT_CODE = 127
_PRLIMIT = shutil.which("prlimit")
"""util-linux's prlimit, which sets rlimits and execs the command far faster than starting Python does."""


LOCAL_CANNOT_ALLOWLIST = (
    "the local sandbox cannot hold commands to named hosts: they run on this machine's own network, where any "
    "program may ignore a proxy. Use the bubblewrap or docker sandbox for a network allowlist."
)


class LocalSandbox:
    """Runs commands directly on the host, in the workspace folder: for trusted tasks only.

    Commands get the spec's file size and memory limits as rlimits; the process limit is left out,
    since on the host it would count every process of the user (and binds not at all for root).
    """

    WARNING = (
        "guardrails.sandbox is `local`: commands run on this machine without isolation. "
        "They can read and change anything your user can, and reach the network. "
        "Use it only for tasks you trust."
    )

    def __init__(self, spec: SandboxSpec) -> None:
        if not spec.workspace.is_dir():
            raise SandboxUnavailable(f"the workspace {spec.workspace} is not a folder")
        if not isinstance(spec.network, bool):
            raise SandboxUnavailable(LOCAL_CANNOT_ALLOWLIST)
        self.spec = spec
        self._root = spec.workspace.resolve()
        # A private HOME, so tools do not read or litter the user's own home.
        self._home = Path(tempfile.mkdtemp(prefix="interns-home-"))
        if not sys.executable:
            notice("no python interpreter to start local commands through: they run without resource limits")

    @classmethod
    async def open(cls, spec: SandboxSpec) -> LocalSandbox:
        """Open a local sandbox over spec.workspace."""
        return cls(spec)

    @property
    def workdir(self) -> str:
        """The workspace root: on the host, since nothing is mounted elsewhere."""
        return str(self._root)

    async def exec(
        self,
        argv: Sequence[str],
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        stdin: str | bytes | None = None,
        timeout: float | None = None,
    ) -> ExecResult:
        """Run argv on the host; `cwd` is relative to the workspace root."""
        if not argv:
            raise ValueError("argv is empty: there is no command to run")
        data = stdin.encode() if isinstance(stdin, str) else stdin
        try:
            result = await run_process(
                self.limited(argv),
                env=clean_env(str(self._home), self.spec.env, env),
                cwd=str(self._root / (cwd or ".")),
                stdin=data,
                timeout=self.spec.timeout if timeout is None else timeout,
                output_limit=self.spec.output_limit,
            )
        except OSError as exc:  # the program or the folder is missing: a failed command, like a shell reports it
            return ExecResult(exit_code=COMMAND_NOT_RUN_EXIT_CODE, stdout="", stderr=f"{exc}\n", duration=0.0)
        return result.to_exec_result()

    def limited(self, argv: Sequence[str]) -> list[str]:
        """argv behind util-linux's `prlimit` (a millisecond), else behind the Python launcher, with the rlimits."""
        limits = rlimits(self.spec, processes=False)
        if _PRLIMIT is not None:
            return [_PRLIMIT, *(f"--{name.lower()}={value}" for name, value in sorted(limits.items())), "--", *argv]
        if not sys.executable:
            return list(argv)
        return launcher(sys.executable, {"rlimits": limits}, argv)

    def _inside(self, path: str) -> Path:
        """The host path for `path`, refusing one that resolves (symlinks included) outside the workspace."""
        resolved = (self._root / path).resolve()
        if not resolved.is_relative_to(self._root):
            raise PermissionError(errno.EACCES, "path is outside the workspace", path)
        return resolved

    async def read_file(self, path: str) -> bytes:
        """Read a file by its path relative to the workspace root."""
        return await asyncio.to_thread(self._inside(path).read_bytes)

    async def write_file(self, path: str, data: bytes) -> None:
        """Create or replace a file by its path relative to the workspace root, making parent folders."""
        target = self._inside(path)

        def write() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)

        await asyncio.to_thread(write)

    async def aclose(self) -> None:
        """Remove the private HOME."""
        shutil.rmtree(self._home, ignore_errors=True)
