"""Reading and writing workspace files by running commands inside a sandbox.

Going through the sandbox means a path resolves in the sandbox's view of the filesystem: a
symlink in the workspace that points outside it reaches the sandbox's files, never the host's.
"""

from __future__ import annotations

import errno
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence

from interns.sandbox.base import ExecResult, SandboxSpec
from interns.sandbox.process import ProcessResult

MAX_FILE_BYTES = 64 * 1024 * 1024
"""The largest file read_file returns; a larger one raises OSError(EFBIG)."""

RunInSandbox = Callable[[list[str], bytes | None], Awaitable[ProcessResult]]
"""Runs argv with optional stdin in the sandbox, from the workspace root, keeping MAX_FILE_BYTES of output."""

# Exit codes the scripts below choose to say which error to raise; the shell itself uses 1, 2 and 126+.
_CODES = {
    102: (FileNotFoundError, errno.ENOENT, "No such file or directory"),
    113: (PermissionError, errno.EACCES, "Permission denied"),
    121: (IsADirectoryError, errno.EISDIR, "Is a directory"),
}

READ_SCRIPT = """
if [ -d "$1" ]; then exit 121; fi
if [ ! -e "$1" ]; then exit 102; fi
if [ ! -r "$1" ]; then exit 113; fi
cat -- "$1" || exit 1
"""

WRITE_SCRIPT = """
if [ -d "$1" ]; then exit 121; fi
mkdir -p -- "$(dirname -- "$1")" || exit 1
if [ -e "$1" ] && [ ! -w "$1" ]; then exit 113; fi
cat > "$1" || exit 1
"""


def _raise_for(result: ProcessResult, path: str, action: str) -> None:
    """Turn a failed script into the OSError subclass a Python file operation would raise."""
    if result.exit_code in _CODES:
        kind, code, message = _CODES[result.exit_code]
        raise kind(code, message, path)
    if result.timed_out:
        raise OSError(errno.ETIMEDOUT, f"timed out trying to {action} the file", path)
    detail = result.stderr.decode("utf-8", errors="replace").strip() or f"exit code {result.exit_code}"
    raise OSError(errno.EIO, f"cannot {action} the file: {detail}", path)


async def read_via_exec(run: RunInSandbox, path: str) -> bytes:
    """Read a file with `cat` inside the sandbox."""
    result = await run(["sh", "-c", READ_SCRIPT, "read_file", path], None)
    if result.exit_code != 0 or result.timed_out:
        _raise_for(result, path, "read")
    if result.truncated:
        raise OSError(errno.EFBIG, f"file is larger than {MAX_FILE_BYTES} bytes", path)
    return result.stdout


async def write_via_exec(run: RunInSandbox, path: str, data: bytes) -> None:
    """Create or replace a file inside the sandbox, making its parent folders, fed by stdin."""
    result = await run(["sh", "-c", WRITE_SCRIPT, "write_file", path], data)
    if result.exit_code != 0 or result.timed_out:
        _raise_for(result, path, "write")


class CommandSandbox(ABC):
    """What the isolating backends share: `exec` over their own `_run`, and files read and written through it."""

    spec: SandboxSpec

    @abstractmethod
    async def _run(
        self,
        argv: Sequence[str],
        *,
        cwd: str | None,
        env: Mapping[str, str] | None,
        stdin: bytes | None,
        timeout: float | None,
        output_limit: int,
    ) -> ProcessResult:
        """Run argv in the sandbox with the given stdin, keeping `output_limit` bytes of each output."""

    async def exec(
        self,
        argv: Sequence[str],
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        stdin: str | bytes | None = None,
        timeout: float | None = None,
    ) -> ExecResult:
        """Run argv inside the sandbox; `cwd` is relative to the workspace root."""
        if not argv:
            raise ValueError("argv is empty: there is no command to run")
        data = stdin.encode() if isinstance(stdin, str) else stdin
        result = await self._run(
            argv, cwd=cwd, env=env, stdin=data, timeout=timeout, output_limit=self.spec.output_limit
        )
        return result.to_exec_result()

    async def _run_for_file(self, argv: list[str], stdin: bytes | None) -> ProcessResult:
        return await self._run(argv, cwd=None, env=None, stdin=stdin, timeout=None, output_limit=MAX_FILE_BYTES)

    async def read_file(self, path: str) -> bytes:
        """Read a file by its path relative to the workspace root, as the sandbox sees it."""
        return await read_via_exec(self._run_for_file, path)

    async def write_file(self, path: str, data: bytes) -> None:
        """Create or replace a file by its path relative to the workspace root, making parent folders."""
        await write_via_exec(self._run_for_file, path, data)
