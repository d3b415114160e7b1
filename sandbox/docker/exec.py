"""One command in a running container: the shell wrapper that runs it, the stream that carries its output, stopping it.

Every process a command starts carries `INTERNS_EXEC_ID=<random id>` in its environment (a
`setsid` or a double fork keeps it), so when the command ends, times out or is cancelled, all of
them are found in /proc and killed: nothing it started outlives it or holds its output open.

The SDK's own exec calls read the stream from the raw socket, past the buffer the HTTP client
has already filled, and can lose the first output (docker/docker-py#3332); the stream is read
here through that buffer instead. All methods block: the sandbox calls them from threads.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from interns.sandbox.base import SandboxUnavailable
from interns.sandbox.docker.engine import engine_errors

if TYPE_CHECKING:
    import docker

MARKER_VARIABLE = "INTERNS_EXEC_ID"

_KILL_FUNCTION = r"""
kill_marked() {  # SIGKILL every process whose environment carries marker $1, except pid $2
    tries=0
    while [ "$tries" -lt 50 ]; do
        pids=
        for f in $(exec 2>/dev/null; grep -lF "INTERNS_EXEC_ID=$1" /proc/[0-9]*/environ); do
            p=${f#/proc/}; p=${p%/environ}
            [ "$p" = "$2" ] || pids="$pids $p"
        done
        [ -n "$pids" ] || return 0
        kill -9 $pids 2>/dev/null
        tries=$((tries + 1))
    done
    return 1
}
"""

WRAPPER = (
    _KILL_FUNCTION
    + r"""
dir=$1 limit=$2 drop=$3
shift 3
cd -- "$dir" || exit 1
for name in $drop; do unset "$name"; done
if command -v timeout >/dev/null 2>&1; then
    timeout -s KILL "$limit" "$@"
else
    "$@"
fi
code=$?
marker=$INTERNS_EXEC_ID
unset INTERNS_EXEC_ID
kill_marked "$marker" $$
exit $code
"""
)
"""Runs "$@" in folder $1 under an inner time limit $2 (seconds) without the variables named in $3, then kills
whatever the command left running. The marker comes in the environment, so the wrapper itself is killable too."""

KILL_SCRIPT = _KILL_FUNCTION + 'kill_marked "$1" ""\n'
"""Kills every process of the command marked $1, its wrapper included."""

ENGINE_ERROR_PREFIX = b"OCI runtime exec failed"
"""How the engine's own failure to start a process shows up in the command's output stream."""

_STDERR = 2
_EXIT_CODE_WAIT = 5.0
_START_WAIT = 5.0
_FEEDER_WAIT = 5.0


def wrapper_command(argv: Sequence[str], *, cwd: str, limit: float, drop: Sequence[str]) -> list[str]:
    """The command line that runs argv through WRAPPER."""
    return ["sh", "-c", WRAPPER, "interns-exec", cwd, f"{limit:.3f}", " ".join(drop), *argv]


@dataclass(frozen=True)
class ExecOutput:
    """What one exec produced: the kept output, whether some was dropped, and its exit code (-1 when stopped)."""

    stdout: bytes
    stderr: bytes
    truncated: bool
    exit_code: int


class _Capture:
    """Keeps the first `limit` bytes of one stream and notes whether it dropped any."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.dropped = False

    def add(self, chunk: bytes) -> None:
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        self.dropped = self.dropped or len(chunk) > room


class ExecSession:
    """One command's exec in a container: `run` starts it and collects its output; `stop` kills it from any thread."""

    def __init__(
        self,
        api: docker.APIClient,
        container: str,
        *,
        user: str,
        command: list[str],
        env: Mapping[str, str],
        stdin: bytes | None,
        output_limit: int,
        check_container: bool = True,
    ) -> None:
        self._api, self._container, self._user = api, container, user
        self._check = check_container
        self._command, self._env, self._stdin = command, dict(env), stdin
        self._output_limit = output_limit
        self._lock = threading.Lock()
        self._stopping = False
        self._exec_id: str | None = None
        self._socket: socket.socket | None = None

    def run(self) -> ExecOutput:
        """Start the command, feed its stdin, read its output until it ends; SandboxUnavailable if the engine fails."""
        out, err = _Capture(self._output_limit), _Capture(self._output_limit)
        with engine_errors("running a command"):
            with self._lock:
                if self._stopping:
                    return ExecOutput(b"", b"", False, -1)
                attach_stdin = self._stdin is not None
                self._exec_id = self._api.exec_create(
                    self._container, self._command, stdin=attach_stdin, user=self._user, environment=self._env
                )["Id"]
                response = self._start_stream(self._exec_id)
            feeder = None
            try:
                reader = response.raw._fp.fp  # the HTTP client's buffered reader: it may already hold output
                self._socket = sock = reader.raw._sock
                if self._stdin is not None:
                    feeder = threading.Thread(target=self._feed, args=(sock, self._stdin), daemon=True)
                    feeder.start()
                _read_frames(reader, out, err)
            finally:
                if feeder is not None:  # stop it writing before the socket is closed and its number reused
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                    feeder.join(_FEEDER_WAIT)
                response.close()
            exit_code = -1 if self._stopping else self._exit_code(self._exec_id)
            if exit_code > 128 and self._check:  # killed: by the command's own doing, or as the container went away
                self._check_container()
        if exit_code in (126, 127) and bytes(out.data).startswith(ENGINE_ERROR_PREFIX):
            detail = out.data.decode("utf-8", errors="replace").strip()
            raise SandboxUnavailable(f"the docker engine could not start the command: {detail}")
        return ExecOutput(bytes(out.data), bytes(err.data), out.dropped or err.dropped, exit_code)

    def _start_stream(self, exec_id: str) -> Any:
        """POST exec start with a connection upgrade, as the SDK does, keeping the whole HTTP response."""
        api = self._api
        url = f"{api.base_url}/v{api.api_version}/exec/{exec_id}/start"
        response = api.post(
            url,
            json={"Tty": False, "Detach": False},
            headers={"Connection": "Upgrade", "Upgrade": "tcp"},
            stream=True,
        )
        if response.status_code >= 400:
            detail = response.text.strip()
            response.close()
            raise SandboxUnavailable(f"the docker engine would not start the command: {detail}")
        return response

    @staticmethod
    def _feed(sock: socket.socket, data: bytes) -> None:
        """Write stdin and close our half of the connection, which closes the command's stdin."""
        with contextlib.suppress(OSError):
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)

    def _exit_code(self, exec_id: str) -> int:
        """The command's exit code, once the engine has recorded it (it may lag the end of the stream)."""
        deadline = time.monotonic() + _EXIT_CODE_WAIT
        while True:
            info = self._api.exec_inspect(exec_id)
            if not info["Running"] and info["ExitCode"] is not None:
                return int(info["ExitCode"])
            if time.monotonic() > deadline:
                raise SandboxUnavailable("the docker engine did not say how a command ended")
            time.sleep(0.005)

    def _check_container(self) -> None:
        """SandboxUnavailable unless the container still runs commands: its own end is not the command's result.

        Asking the engine is not enough: just after the container was killed it still reports it running.
        """
        probe = ExecSession(
            self._api,
            self._container,
            user=self._user,
            command=["true"],
            env={},
            stdin=None,
            output_limit=4096,
            check_container=False,
        )
        try:
            alive = probe.run().exit_code == 0
        except SandboxUnavailable:
            alive = False
        if not alive:
            raise SandboxUnavailable("the docker engine stopped or removed the step's container during a command")

    def stop(self) -> bool:
        """Kill every process of this command, the wrapper included; False if the kill itself could not run.

        Safe at any moment: a command not yet started never starts.
        """
        with self._lock:
            self._stopping = True
            exec_id = self._exec_id
        if exec_id is None:
            return True
        with engine_errors("stopping a command"):
            deadline = time.monotonic() + _START_WAIT
            while True:  # the process may not exist yet just after the start request
                info = self._api.exec_inspect(exec_id)
                if info["Running"] or info["ExitCode"] is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.005)
            return kill_marked(self._api, self._container, user=self._user, marker=self._env[MARKER_VARIABLE])

    def close(self) -> None:
        """Shut the output stream, so a `run` still reading it returns at once."""
        sock = self._socket
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _read_frames(reader: Any, out: _Capture, err: _Capture) -> None:
    """Read the engine's multiplexed stream (8-byte header: stream number, size) until it ends."""
    while len(header := reader.read(8)) == 8:
        stream, size = struct.unpack(">BxxxL", header)
        target = err if stream == _STDERR else out
        while size > 0:
            chunk = reader.read1(min(size, 64 * 1024))
            if not chunk:
                return
            target.add(chunk)
            size -= len(chunk)


def kill_marked(api: docker.APIClient, container: str, *, user: str, marker: str) -> bool:
    """Kill every process carrying `marker` in the container; whether that worked."""
    session = ExecSession(
        api,
        container,
        user=user,
        command=["sh", "-c", KILL_SCRIPT, "interns-kill", marker],
        env={},
        stdin=None,
        output_limit=4096,
        check_container=False,
    )
    try:
        return session.run().exit_code == 0
    except SandboxUnavailable:
        return False
