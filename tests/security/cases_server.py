"""Attacks on what outlives one command inside a sandbox: a leftover process, and bubblewrap's command server.

A bubblewrap sandbox runs every command of a step through one command server. What one command leaves must be
dead before the next starts, and no command may reach the server: not its socket to the host (to forge the result
the host records for a later command), not its life (to stand in for it and run commands unconfined).
"""

from __future__ import annotations

from tests.security.attack import Attack, Seen, Turns, call, sh
from tests.security.conftest import Host

# Written so that the command lines, which the journal keeps, never hold the word the checks look for.
FORGERY = "FORGED"
# The leftover waits for its own command to end, marks the workspace, then writes into every process's output.
LEFTOVER = (
    "(setsid sh -c 'sleep 0.5; touch late-marker; end=$(($(date +%s)+3)); while [ $(date +%s) -lt $end ]; do "
    'for f in /proc/[0-9]*/fd/1 /proc/[0-9]*/fd/2; do echo FOR""GED > $f; done 2>/dev/null; done\' '
    ">/dev/null 2>&1 &); sleep 0.2; echo left"
)
GENUINE = "sleep 1; echo genuine-$((6*7)); exit 3"


def _leftover(host: Host, backend: str) -> Turns:
    return [sh(LEFTOVER), sh(GENUINE)]


def _forged_or_alive(host: Host, seen: Seen) -> bool:
    """A command's recorded output holds the forgery, or the leftover lived on to mark the workspace."""
    runs = seen.commands()
    forged = any(FORGERY in run.stdout or FORGERY in run.stderr for run in runs)
    return forged or (seen.workspace / "late-marker").exists()


def _genuine_result(seen: Seen) -> bool:
    """Both commands are journaled, the second with its own exit code and output."""
    runs = seen.commands()
    return len(runs) == 2 and runs[1].exit_code == 3 and "genuine-42" in runs[1].stdout


# Run inside the sandbox: take every descriptor of every other process (pidfd_getfd, or /proc/PID/fd), then leave a
# process behind that, once this command has ended, writes replies saying "exit 0" into each. The host numbers its
# requests: the write tool's file and this command were the sandbox's first two, so the forgeries start at 3.
STEAL = """
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
me, stolen = os.getpid(), []
for name in os.listdir("/proc"):
    if not name.isdigit() or int(name) == me:
        continue
    pidfd = libc.syscall(434, int(name), 0)
    for fd in range(3, 64):
        got = libc.syscall(438, pidfd, fd, 0) if pidfd >= 0 else -1
        stolen += [got] if got >= 0 else []
        try:
            stolen.append(os.open("/proc/%s/fd/%d" % (name, fd), os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
print("stolen", len(stolen), flush=True)
if os.fork() == 0:
    os.setsid()
    time.sleep(0.5)
    for target in stolen:
        for seq in range(3, 11):
            try:
                os.write(target, b'{"seq": %d, "code": 0, "timed_out": false, "fresh": true}\\n' % seq)
            except OSError:
                pass
    time.sleep(3)
    os._exit(0)
"""


def _steal(host: Host, backend: str) -> Turns:
    return [call("write", path="steal.py", content=STEAL), sh("python3 steal.py"), sh(GENUINE)]


def _result_forged(host: Host, seen: Seen) -> bool:
    """The host recorded something else than the second command's own exit code and output."""
    runs = seen.commands()
    return len(runs) == 2 and not (runs[1].exit_code == 3 and "genuine-42" in runs[1].stdout)


def _both_journaled(seen: Seen) -> bool:
    return len(seen.commands()) == 2


SERVER_ATTACKS = [
    Attack(
        "a process left by one command forges the next one's output",
        _leftover,
        _forged_or_alive,
        recorded=_genuine_result,
        # On the local backend the leftover would write into the output of every process of the host's user.
        only=("bubblewrap", "docker"),
    ),
    Attack(
        "a command takes the command server's socket to forge the next result",
        _steal,
        _result_forged,
        recorded=_both_journaled,
        # Elsewhere the attack would take descriptors of the host's own processes (local) or the engine's (docker).
        only=("bubblewrap",),
    ),
]
