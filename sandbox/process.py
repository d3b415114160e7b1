"""Run one child process with a clean env, capped output, a timeout and no leftovers.

Both backends start their commands through `run_process`. The child gets its own session and
process group; when the command ends, times out or the awaiting task is cancelled, the whole
group is killed with SIGKILL, so background children and grandchildren never outlive it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from interns.sandbox.base import ExecResult

TIMEOUT_EXIT_CODE = 124
"""The exit code reported for a command that ran out of time, as coreutils `timeout` reports it."""

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
"""The PATH every sandboxed command starts with; spec.env or the call's env may replace it."""

_CHUNK = 64 * 1024
# After the child has exited and its group was killed, how long to wait for the pipes to close
# (a process that left the group could hold them open forever).
_PIPE_GRACE = 1.0


@dataclass(frozen=True)
class ProcessResult:
    """What a child process did, as raw bytes: for file transfers and for building an `ExecResult`."""

    exit_code: int
    stdout: bytes
    stderr: bytes
    duration: float
    timed_out: bool
    truncated: bool

    def to_exec_result(self) -> ExecResult:
        """Decode the output as UTF-8 (invalid bytes replaced) into the sandbox's result type."""
        return ExecResult(
            exit_code=self.exit_code,
            stdout=self.stdout.decode("utf-8", errors="replace"),
            stderr=self.stderr.decode("utf-8", errors="replace"),
            duration=self.duration,
            timed_out=self.timed_out,
            truncated=self.truncated,
        )


class Capture:
    """Keeps the first `limit` bytes of a stream and counts what it dropped."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.dropped = 0

    async def drain(self, stream: asyncio.StreamReader) -> None:
        """Read until EOF so the writer never blocks on a full pipe."""
        while chunk := await stream.read(_CHUNK):
            room = self.limit - len(self.data)
            if room > 0:
                self.data += chunk[:room]
            self.dropped += max(0, len(chunk) - max(room, 0))


async def feed(stream: asyncio.StreamWriter, data: bytes) -> None:
    """Write stdin and close it; a child that exits without reading it all is not an error."""
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        stream.write(data)
        await stream.drain()
    stream.close()


def clean_env(home: str, *layers: Mapping[str, str] | None) -> dict[str, str]:
    """A command's whole environment: PATH, HOME, LANG, TERM and no bytecode, then each layer; nothing from the host."""
    # No .pyc files: a worker's edit of the same size in the same second would otherwise run the stale bytecode.
    env = {"PATH": DEFAULT_PATH, "HOME": home, "LANG": "C.UTF-8", "TERM": "dumb", "PYTHONDONTWRITEBYTECODE": "1"}
    for layer in layers:
        env.update(layer or {})
    return env


def _kill_group(pid: int) -> None:
    """SIGKILL every process in the group led by `pid`; a group that is already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _exit_code(returncode: int | None, timed_out: bool) -> int:
    """Shell-style exit code: 124 on timeout, 128+N for death by signal N."""
    if timed_out:
        return TIMEOUT_EXIT_CODE
    if returncode is None:
        return -1
    return 128 - returncode if returncode < 0 else returncode


class _ExitAwareProtocol(asyncio.subprocess.SubprocessStreamProtocol):
    """The stream protocol of `create_subprocess_exec`, plus an event set the moment the child exits.

    On Python 3.11 `Process.wait()` also waits for the pipes to close, which a background
    grandchild can delay forever; the exit itself is what decides when to kill the group.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit=_CHUNK, loop=loop)
        self.exited = asyncio.Event()

    def process_exited(self) -> None:
        super().process_exited()
        self.exited.set()


async def run_process(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: str | None = None,
    stdin: bytes | None = None,
    timeout: float,
    output_limit: int,
    pass_fds: Sequence[int] = (),
) -> ProcessResult:
    """Run argv with exactly `env`, keeping at most `output_limit` bytes each of stdout and stderr.

    `pass_fds` are descriptors the child inherits (every other one is closed in it).

    On timeout the process group is killed and the result has `timed_out=True` and exit code 124.
    A child killed by signal N reports 128+N. If the awaiting task is cancelled, the group is
    killed before the cancellation propagates. OSError if argv[0] or cwd does not exist.
    """
    if not argv:
        raise ValueError("argv is empty: there is no command to run")
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.subprocess_exec(
        lambda: _ExitAwareProtocol(loop),
        *argv,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(env),
        cwd=cwd,
        start_new_session=True,
        pass_fds=tuple(pass_fds),
    )
    pid = transport.get_pid()
    assert protocol.stdout is not None and protocol.stderr is not None
    out, err = Capture(output_limit), Capture(output_limit)
    helpers = [asyncio.create_task(out.drain(protocol.stdout)), asyncio.create_task(err.drain(protocol.stderr))]
    if stdin is not None:
        assert protocol.stdin is not None
        helpers.append(asyncio.create_task(feed(protocol.stdin, stdin)))
    timed_out = False
    try:
        try:
            await asyncio.wait_for(protocol.exited.wait(), timeout)
        except TimeoutError:
            timed_out = True
        _kill_group(pid)
        if timed_out:  # let the child watcher see it die before the transport is closed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(protocol.exited.wait(), _PIPE_GRACE)
        _done, pending = await asyncio.wait(helpers, timeout=_PIPE_GRACE)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    except BaseException:
        _kill_group(pid)
        for task in helpers:
            task.cancel()
        raise
    finally:
        transport.close()
    return ProcessResult(
        exit_code=_exit_code(transport.get_returncode(), timed_out),
        stdout=bytes(out.data),
        stderr=bytes(err.data),
        duration=time.monotonic() - started,
        timed_out=timed_out,
        truncated=bool(out.dropped or err.dropped),
    )
