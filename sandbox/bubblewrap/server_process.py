"""The host's side of a sandbox's command server: start one bwrap that runs it, send it commands, end it.

Everything the server says is read as hostile: one line of at most `MAX_REPLY` bytes per message, JSON of the
expected shape, the sequence number of the command just sent. A server that breaks that, goes quiet past the
command's timeout, or ends, is killed with its whole sandbox; the command's result says so.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import functools
import json
import os
import signal
import socket
import subprocess
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path

from interns.sandbox.base import SandboxError
from interns.sandbox.bubblewrap import command_server
from interns.sandbox.confinement import launcher
from interns.sandbox.confinement.pids_cgroup import PidsCgroup
from interns.sandbox.network import forwarder
from interns.sandbox.process import TIMEOUT_EXIT_CODE, Capture, ProcessResult, feed

MAX_REPLY = 4096
START_TIMEOUT = 30.0
REPLY_GRACE = 10.0
"""How long past a command's own timeout the server may take to kill it, clear the sandbox and reply."""
BROKEN_EXIT_CODE = launcher.UNSAFE_EXIT_CODE
_PIPE_GRACE = 1.0
_ERRORS_KEPT = 64 * 1024

_BOOT = """import sys, types
def _load(name, source):
    parts = name.split(".")
    for end in range(1, len(parts)):
        parent = ".".join(parts[:end])
        if parent not in sys.modules:
            sys.modules[parent] = types.ModuleType(parent)
            sys.modules[parent].__path__ = []
    module = sys.modules[name] = types.ModuleType(name)
    exec(compile(source, name, "exec"), module.__dict__)
    setattr(sys.modules[".".join(parts[:-1])], parts[-1], module)
    return module
"""


@functools.cache
def server_program() -> str:
    """The `python3 -c` program of the command server: its stdlib-only modules loaded under their own names."""
    lines = [_BOOT]
    for module in (launcher, forwarder, command_server):
        lines.append(f"_load({module.__name__!r}, {Path(module.__file__ or '').read_text()!r})")
    lines.append(f"sys.exit(sys.modules[{command_server.__name__!r}].main(sys.argv[1:]))")
    return "\n".join(lines)


class ServerBroke(SandboxError):
    """The command server ended or said something it should not have (its command fails; its start, the backend)."""


class CommandServer:
    """One running command server, its bwrap process, the socket to it and the pids cgroup it runs in."""

    def __init__(self, process: subprocess.Popen[bytes], sock: socket.socket, group: PidsCgroup | None) -> None:
        self._process = process
        self._sock = sock
        self._buffer = b""
        self._seq = 0
        self.usable = True
        """False once the server broke or left the sandbox changed: it runs no more commands."""
        # A sandbox dropped without aclose() still ends its server, synchronously, when it is collected.
        self._end = weakref.finalize(self, _end, process, sock, group)

    @classmethod
    async def start(
        cls, command: Sequence[str], *, env: Mapping[str, str], pass_fds: Sequence[int], group: PidsCgroup | None
    ) -> CommandServer:
        """Start `command` (bwrap running the server, its socket's descriptor as the last argument) and wait for it.

        `command` ends with the placeholder "{fd}", replaced by the server's end of the socket pair.
        """
        host_end, server_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        host_end.setblocking(False)
        try:
            argv = [str(server_end.fileno()) if part == "{fd}" else part for part in command]
            # Not an asyncio subprocess: the server lives as long as its sandbox, which may be dropped unclosed.
            process = subprocess.Popen(
                group.wrap(argv) if group else argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=dict(env),
                start_new_session=True,
                pass_fds=(*pass_fds, server_end.fileno()),
            )
        except BaseException:
            host_end.close()
            if group is not None:
                await asyncio.to_thread(group.remove)
            raise
        finally:
            server_end.close()
        server = cls(process, host_end, group)
        try:
            hello = await asyncio.wait_for(server._message(), START_TIMEOUT)
            if hello.get("ready") is not True:
                raise ServerBroke(str(hello.get("error", "it did not say it was ready"))[:500])
        except BaseException as exc:
            if not isinstance(exc, ServerBroke | TimeoutError):
                await asyncio.shield(server.close())
                raise
            with contextlib.suppress(subprocess.TimeoutExpired):  # let bwrap finish saying why it could not start
                await asyncio.to_thread(server._process.wait, _PIPE_GRACE)
            said = server.errors()
            await asyncio.shield(server.close())
            raise ServerBroke(f"{exc or 'no answer'}: {said}".strip(": ")) from None
        return server

    def errors(self) -> str:
        """What bwrap and the server have written to stderr so far (bwrap's own errors when it could not start)."""
        assert self._process.stderr is not None
        fd = self._process.stderr.fileno()
        os.set_blocking(fd, False)
        try:
            return os.read(fd, _ERRORS_KEPT).decode("utf-8", "replace").strip()
        except (BlockingIOError, ValueError, OSError):
            return ""

    async def run(
        self,
        argv: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str],
        stdin: bytes | None,
        timeout: float,
        output_limit: int,
    ) -> ProcessResult:
        """Run one command through the server; the server is marked unusable if it broke or left things behind."""
        started = time.monotonic()
        self._seq += 1
        request = {"seq": self._seq, "argv": list(argv), "cwd": cwd, "env": dict(env), "timeout": timeout}
        out, err = Capture(output_limit), Capture(output_limit)
        try:
            ends = await self._send(json.dumps(request).encode(), stdin is not None)
        except ServerBroke as exc:  # it ended since the last command: this one never started
            await self.close()
            err.data += _broke(exc)
            return _result(BROKEN_EXIT_CODE, False, out, err, started)
        streams = _Streams()
        try:
            await streams.attach(ends, out, err, stdin)
            code, timed_out = await self._outcome(timeout, err)
            await streams.settle()
        except BaseException:
            await asyncio.shield(self.close())
            raise
        finally:
            await streams.close()
        return _result(code, timed_out, out, err, started)

    async def _outcome(self, timeout: float, err: Capture) -> tuple[int, bool]:
        """The command's exit code and whether it timed out, from the reply; a silent or broken server is ended."""
        try:
            code, timed_out, self.usable = _parse(
                await asyncio.wait_for(self._message(), timeout + REPLY_GRACE), self._seq
            )
            return code, timed_out
        except TimeoutError:
            await self.close()
            return TIMEOUT_EXIT_CODE, True
        except ServerBroke as exc:
            err.data += _broke(exc)
            await self.close()
            return BROKEN_EXIT_CODE, False

    async def _send(self, request: bytes, with_stdin: bool) -> tuple[int, int, int]:
        """Send a request with the command's three descriptors; the host's ends (stdout, stderr, stdin or -1)."""
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        if with_stdin:
            in_read, in_write = os.pipe()
        else:
            in_read, in_write = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC), -1
        data = command_server.HEADER.pack(len(request)) + request
        try:
            rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [in_read, out_write, err_write]))]
            try:
                sent = self._sock.sendmsg([data], rights)
            except OSError as exc:  # lockstep: the buffer is empty unless the server broke
                raise ServerBroke(f"cannot send it the command: {exc}") from None
            if sent < len(data):
                await asyncio.get_running_loop().sock_sendall(self._sock, data[sent:])
        except BaseException:
            for fd in (out_read, err_read, in_write):
                if fd >= 0:
                    os.close(fd)
            raise
        finally:
            for fd in (in_read, out_write, err_write):
                os.close(fd)
        return out_read, err_read, in_write

    async def _message(self) -> dict[str, object]:
        """The server's next message: one line of JSON, an object, at most MAX_REPLY bytes."""
        loop = asyncio.get_running_loop()
        while b"\n" not in self._buffer:
            if len(self._buffer) > MAX_REPLY:
                raise ServerBroke("it sent a message longer than allowed")
            chunk = await loop.sock_recv(self._sock, MAX_REPLY)
            if not chunk:
                raise ServerBroke("it ended")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        if len(line) > MAX_REPLY:
            raise ServerBroke("it sent a message longer than allowed")
        try:
            message = json.loads(line)
        except ValueError:
            raise ServerBroke("it sent something that is not JSON") from None
        if not isinstance(message, dict):
            raise ServerBroke("it sent something that is not an object")
        return message

    async def close(self) -> None:
        """Kill the server's whole sandbox, wait for bwrap to end, remove its cgroup (off the event loop)."""
        self.usable = False
        if self._end.alive:
            await asyncio.to_thread(self._end)


def _end(process: subprocess.Popen[bytes], sock: socket.socket, group: PidsCgroup | None) -> None:
    """Kill a server's whole sandbox (bwrap leads its own process group), reap bwrap, release the rest."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    if process.stderr is not None:
        process.stderr.close()
    sock.close()
    if group is not None:
        group.remove()


class _Streams:
    """The host's ends of one command's stdout, stderr and stdin, read and fed on the event loop."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Future[None]] = []
        self._transports: list[asyncio.BaseTransport] = []

    async def attach(self, ends: tuple[int, int, int], out: Capture, err: Capture, stdin: bytes | None) -> None:
        """Start reading stdout and stderr into their captures and feeding stdin, if any."""
        loop = asyncio.get_running_loop()
        fds = list(ends)
        try:
            for capture in (out, err):
                reader = asyncio.StreamReader()
                protocol = functools.partial(asyncio.StreamReaderProtocol, reader)
                transport, _ = await loop.connect_read_pipe(protocol, os.fdopen(fds.pop(0), "rb", buffering=0))
                self._transports.append(transport)
                self._tasks.append(asyncio.ensure_future(capture.drain(reader)))
            if stdin is not None:
                pipe = await loop.connect_write_pipe(
                    lambda: asyncio.streams.FlowControlMixin(loop), os.fdopen(fds.pop(0), "wb", buffering=0)
                )
                self._transports.append(pipe[0])
                self._tasks.append(asyncio.ensure_future(feed(asyncio.StreamWriter(*pipe, None, loop), stdin)))
        finally:
            for fd in fds:  # those no transport took over
                if fd >= 0:
                    os.close(fd)

    async def settle(self) -> None:
        """Give the outputs a moment to reach their end (every writer is gone once the server replied)."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=_PIPE_GRACE)

    async def close(self) -> None:
        """Stop reading and feeding, and close the host's ends."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for transport in self._transports:
            transport.close()


def _result(code: int, timed_out: bool, out: Capture, err: Capture, started: float) -> ProcessResult:
    return ProcessResult(
        exit_code=TIMEOUT_EXIT_CODE if timed_out else code,
        stdout=bytes(out.data),
        stderr=bytes(err.data),
        duration=time.monotonic() - started,
        timed_out=timed_out,
        truncated=bool(out.dropped or err.dropped),
    )


def _broke(exc: ServerBroke) -> bytes:
    return f"\ninterns: the sandbox's command server broke ({exc}); the next command gets a new one\n".encode()


def _parse(message: dict[str, object], seq: int) -> tuple[int, bool, bool]:
    """(exit code, timed out, sandbox fresh) from a reply, which must answer command `seq`."""
    code, timed_out, fresh = message.get("code"), message.get("timed_out"), message.get("fresh")
    if message.get("seq") != seq or type(code) is not int or not 0 <= code <= 255:
        raise ServerBroke("its reply does not answer the command")
    if type(timed_out) is not bool or type(fresh) is not bool:
        raise ServerBroke("its reply does not answer the command")
    return code, timed_out, fresh
