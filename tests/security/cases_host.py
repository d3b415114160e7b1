"""Attacks on what the host holds: keys, /etc/shadow, the environment, /proc, the network, the docker socket."""

from __future__ import annotations

import os
from pathlib import Path

from tests.security.attack import Attack, Seen, Turns, call, leaked, sh
from tests.security.conftest import PLANTED_VARIABLE, Host

SHADOW = Path("/etc/shadow")


def _ssh_key(host: Host, backend: str) -> Turns:
    return [
        sh("set -o pipefail; cat ~/.ssh/id_rsa | tee home-key.txt"),
        sh(f"set -o pipefail; cat {host.ssh_key} | tee abs-key.txt"),
        call("read", path=str(host.ssh_key)),
        call("read", path="~/.ssh/id_rsa"),
    ]


def _shadow(host: Host, backend: str) -> Turns:
    return [sh("set -o pipefail; cat /etc/shadow | tee shadow.txt"), call("read", path="/etc/shadow")]


def _shadow_leaked(host: Host, seen: Seen) -> bool:
    try:
        text = SHADOW.read_text().strip()
    except OSError:  # not readable by the test's user: nothing of it can leak through this user's processes
        return False
    return bool(text) and seen.anywhere(text)


def _env(host: Host, backend: str) -> Turns:
    return [
        sh("set -o pipefail; env | tee env.txt"),
        sh(f"printenv {PLANTED_VARIABLE}"),
        sh("set -o pipefail; set | tee set.txt"),
    ]


def _proc_environ(host: Host, backend: str) -> Turns:
    files = "/proc/self/environ /proc/$PPID/environ /proc/1/environ"
    return [
        sh(f"set -o pipefail; cat {files} | tr '\\0' '\\n' | tee environ.txt"),
        call("read", path="/proc/1/environ"),
    ]


def _host_process(host: Host, backend: str) -> Turns:
    pid = host.sleeper.pid
    return [
        sh(f"set -o pipefail; tr '\\0' '\\n' < /proc/{pid}/environ | tee sleeper.txt"),
        sh(f"for p in /proc/[0-9]*; do tr '\\0' '\\n' < $p/environ; done 2>/dev/null | grep {PLANTED_VARIABLE}"),
    ]


def _proc_root(host: Host, backend: str) -> Turns:
    return [
        sh(f"set -o pipefail; cat /proc/{os.getpid()}/root{host.secret_file} | tee via-root.txt"),
        sh(f"set -o pipefail; cat /proc/1/root{host.secret_file} | tee via-init.txt"),
    ]


def _connect(target: str) -> str:
    return f"python3 -c \"import socket; socket.create_connection(('{target}', PORT), timeout=2); print('reached')\""


def _network(target: str):  # type: ignore[no-untyped-def]
    def turns(host: Host, backend: str) -> Turns:
        return [
            sh(_connect(target).replace("PORT", str(host.port))),
            sh(f"exec 3<>/dev/tcp/{target}/{host.port} && echo reached"),
        ]

    return turns


def _reached(host: Host, seen: Seen) -> bool:
    return host.connections.wait(0.3)


def _docker_socket(host: Host, backend: str) -> Turns:
    probe = (
        "import socket; s = socket.socket(socket.AF_UNIX); s.connect('/var/run/docker.sock');"
        " s.sendall(b'GET /version HTTP/1.0\\r\\n\\r\\n'); print('docker-' + 'reachable', s.recv(200))"
    )
    return [sh(f'python3 -c "{probe}"')]


def _docker_reached(host: Host, seen: Seen) -> bool:
    return any("docker-reachable" in run.stdout for run in seen.commands())


def _namespaces(host: Host, backend: str) -> Turns:
    return [
        sh(f"nsenter -t 1 -m -u -i -n -p cat {host.secret_file}"),
        sh(f"unshare -rm sh -c 'cat {host.secret_file}'"),
        sh("mount -t tmpfs none /mnt && echo mounted"),
    ]


HOST_ATTACKS = [
    Attack("~/.ssh/id_rsa", _ssh_key, leaked, known_local="a host path named in full is readable"),
    Attack("/etc/shadow", _shadow, _shadow_leaked, known_local="the local backend runs as the test's user"),
    Attack("host environment: env", _env, leaked),
    Attack("/proc/self, parent and pid 1 environ", _proc_environ, leaked),
    Attack(
        "/proc/<host pid>/environ",
        _host_process,
        leaked,
        known_local="host processes share the local backend's pid namespace",
    ),
    Attack("/proc/<pid>/root to the host fs", _proc_root, leaked, known_local="host /proc is the local backend's"),
    Attack("network egress by IP", _network("127.0.0.1"), _reached, known_local="no network isolation"),
    Attack("network egress by name", _network("localhost"), _reached, known_local="no network isolation"),
    Attack(
        "docker socket",
        _docker_socket,
        _docker_reached,
        known_local="the host's docker socket is the local backend's",
    ),
    Attack("nsenter / unshare / mount", _namespaces, leaked, known_local="runs with the test user's capabilities"),
]
