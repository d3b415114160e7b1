"""The command server: one long-lived process per bubblewrap sandbox that runs each command the host sends it.

It runs inside the sandbox (stdlib only, loaded by `server_program`) as `python3 -I -S -c PROGRAM CONFIG FD`, where
FD is its end of a unix socket pair with the host and nothing else reaches. It confines itself once (Landlock on
writes), makes itself non-dumpable (no command can open its descriptors or memory through /proc) and the reaper of
every orphan in the sandbox, then says `{"ready": true}` and serves one request at a time: a length-prefixed JSON
object (seq, argv, cwd, env, timeout) carrying the command's stdin, stdout and stderr as descriptors. Each command
is forked into its own session and its own nested Landlock domain (it cannot signal or trace the server, ABI 6+),
under the rlimits. When it exits or runs out of time, every other process in the sandbox is killed and reaped and
/tmp and HOME are emptied; only then does the reply `{"seq", "code", "timed_out", "fresh"}` go out, so nothing a
command left behind can touch the next one or its result. `fresh` is false when the sandbox is no longer as it
started (something in /dev changed, or System V IPC objects remain): the host then ends this sandbox.
"""

from __future__ import annotations

import array
import json
import os
import select
import signal
import socket
import struct
import sys
import time

from interns.sandbox.confinement import launcher

PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36
HEADER = struct.Struct("!I")
"""A request's length, before its JSON."""
MAX_REQUEST = 64 * 1024 * 1024
SYSV_TABLES = ("/proc/sysvipc/shm", "/proc/sysvipc/msg", "/proc/sysvipc/sem")
NO_CWD_EXIT_CODE = 1


def _prctl(option: int, value: int) -> None:
    if launcher._libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(f"prctl {option} failed")


def _send(sock: socket.socket, message: dict[str, object]) -> None:
    sock.sendall(json.dumps(message).encode() + b"\n")


def _receive(sock: socket.socket) -> tuple[dict[str, object], list[int]] | None:
    """The next request and the descriptors sent with it; None when the host has closed its end."""
    fds: list[int] = []
    data = b""
    need = HEADER.size
    while len(data) < need:
        chunk, ancillary, _flags, _addr = sock.recvmsg(1 << 16, socket.CMSG_SPACE(3 * 4), socket.MSG_CMSG_CLOEXEC)
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds += array.array("i", payload[: len(payload) - len(payload) % 4]).tolist()
        if not chunk:
            return None
        data += chunk
        if need == HEADER.size and len(data) >= need:
            need += HEADER.unpack_from(data)[0]
            if need > MAX_REQUEST:
                raise ValueError("request too long")
    return json.loads(data[HEADER.size :]), fds


def _child(request: dict, fds: list[int], config: dict) -> None:
    """In the forked child: confine, wire the descriptors, enter cwd and become the command. Never returns."""
    code = launcher.UNSAFE_EXIT_CODE
    argv, cwd = request["argv"], request["cwd"]
    try:
        os.setsid()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(3, 1 << 20)
        try:
            if config.get("scoped"):
                launcher.scope_self(config.get("abi"))
            launcher.apply_rlimits(config["rlimits"])
        except (OSError, ValueError, AttributeError) as exc:
            os.write(2, f"interns: the sandbox could not confine the command, so it did not run: {exc}\n".encode())
            return
        for name in ("SIGPIPE", "SIGXFSZ"):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        try:
            os.chdir(cwd)
        except OSError as exc:
            os.write(2, f"interns: cannot run the command in {cwd}: {exc.strerror}\n".encode())
            code = NO_CWD_EXIT_CODE
            return
        try:
            os.execvpe(argv[0], argv, request["env"])
        except OSError as exc:
            os.write(2, f"{argv[0]}: {exc.strerror}\n".encode())
            found = not isinstance(exc, FileNotFoundError)
            code = launcher.NOT_RUN_EXIT_CODE if found else launcher.NOT_FOUND_EXIT_CODE
    finally:
        os._exit(code)


def _wait(pid: int, timeout: float) -> tuple[int, bool]:
    """Wait for the command; kill it when its time is up. Its wait status, and whether it ran out of time."""
    deadline = time.monotonic() + timeout
    try:
        pidfd: int | None = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status, False
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                return os.waitpid(pid, 0)[1], True
            if pidfd is not None:
                select.select([pidfd], [], [], left)
            else:
                time.sleep(min(left, 0.002))
    finally:
        if pidfd is not None:
            os.close(pidfd)


def sweep() -> None:
    """Kill and reap every process in the sandbox but this one (bwrap's init is out of reach of kill(-1))."""
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            return
        try:
            while True:
                os.waitpid(-1, 0)
        except ChildProcessError:
            pass


def _remove(path: str) -> None:
    """Remove a file or a whole tree, iteratively (a deep tree cannot exhaust the stack)."""
    stack = [(path, False)]
    while stack:
        current, emptied = stack.pop()
        if emptied or not (os.path.isdir(current) and not os.path.islink(current)):
            (os.rmdir if emptied else os.unlink)(current)
            continue
        os.chmod(current, 0o700)
        stack.append((current, True))
        stack += [(os.path.join(current, name), False) for name in os.listdir(current)]


def _emptied(folders: list[str]) -> bool:
    """Empty each folder; whether they are all empty now."""
    try:
        for folder in folders:
            for name in os.listdir(folder):
                _remove(os.path.join(folder, name))
        return not any(os.listdir(folder) for folder in folders)
    except (OSError, RecursionError):
        return False


def state(folders: list[str]) -> list[object]:
    """What a command could leave in the sandbox beyond the emptied folders: /dev and the folders' own modes."""
    found: list[object] = [(folder, os.lstat(folder).st_mode) for folder in folders]
    for name in sorted(os.listdir("/dev")) + ["shm/" + n for n in sorted(os.listdir("/dev/shm"))]:
        info = os.lstat("/dev/" + name)
        link = os.readlink("/dev/" + name) if os.path.islink("/dev/" + name) else ""
        found.append((name, info.st_mode, info.st_rdev, link))
    for table in SYSV_TABLES:
        try:
            with open(table) as lines:
                found.append((table, len(lines.readlines())))
        except OSError:
            pass
    return found


def run(request: dict, fds: list[int], config: dict, clean: list[object]) -> dict[str, object]:
    """Run one command to its end, then clear the sandbox; the reply for the host."""
    pid = os.fork()
    if pid == 0:
        _child(request, fds, config)
    for fd in fds:
        os.close(fd)
    status, timed_out = _wait(pid, float(request["timeout"]))
    sweep()
    fresh = _emptied(config["emptied"])
    try:
        fresh = fresh and state(config["emptied"]) == clean
    except OSError:
        fresh = False
    code = 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    return {"seq": request["seq"], "code": code, "timed_out": timed_out, "fresh": fresh}


def main(args: list[str]) -> int:
    """Confine this process, then serve commands until the host closes the socket."""
    config = json.loads(args[0])
    sock = socket.socket(fileno=int(args[1]))
    sock.set_inheritable(False)
    try:
        _prctl(PR_SET_DUMPABLE, 0)
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
        if config.get("writable") is not None:
            launcher.restrict_writes(config["writable"], config.get("scoped", False))
        if config.get("forward"):
            from interns.sandbox.network import forwarder

            forwarder.serve_in_background(*config["forward"])
        clean = state(config["emptied"])
    except (OSError, ValueError) as exc:
        _send(sock, {"error": f"the sandbox could not confine its command server: {exc}"})
        return launcher.UNSAFE_EXIT_CODE
    _send(sock, {"ready": True})
    while True:
        received = _receive(sock)
        if received is None:
            return 0
        request, fds = received
        if len(fds) != 3:
            raise ValueError("a request needs stdin, stdout and stderr")
        _send(sock, run(request, fds, config, clean))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
