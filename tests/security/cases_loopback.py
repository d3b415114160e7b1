"""Attacks on the host's loopback from a step that may use the network: where `interns view` and its kin listen.

A worker with `guardrails.network: true` still has a network namespace of its own: 127.0.0.1 and ::1 are the
sandbox's, and the gateway of its user-mode network (10.0.2.2 under slirp4netns) refuses what would reach the host's.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from tests.security.attack import Attack, Seen, Turns, sh
from tests.security.conftest import Host

NETWORK_ON = {"network": True}
SLIRP_GATEWAY = "10.0.2.2"


@dataclass
class LoopbackServer:
    """A TCP server on one of the host's loopback addresses that notes whether anything connected."""

    address: str
    server: socket.socket | None = field(init=False, default=None)
    reached: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
        try:
            self.server = socket.create_server((self.address, 0), family=family)
        except OSError:  # a host without this address (no IPv6): nothing of the host can listen there either
            return
        threading.Thread(target=self._accept, daemon=True, args=(self.server,)).start()

    @property
    def port(self) -> int:
        return int(self.server.getsockname()[1]) if self.server else 9

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            self.reached.set()
            conn.close()

    def close(self) -> bool:
        """Stop listening; whether anything connected meanwhile."""
        if self.server:
            self.server.close()
        return self.reached.is_set()


_SERVERS: dict[Path, dict[str, LoopbackServer]] = {}
"""The servers of each test's host, started when its attack is scripted."""


def _servers(host: Host) -> dict[str, LoopbackServer]:
    if host.root not in _SERVERS:
        _SERVERS[host.root] = {"v4": LoopbackServer("127.0.0.1"), "v6": LoopbackServer("::1")}
    return _SERVERS[host.root]


def _connect(target: str, port: int) -> str:
    probe = f"import socket; socket.create_connection(('{target}', {port}), timeout=3); print('reached')"
    return f'python3 -c "{probe}"'


def _ipv4(host: Host, backend: str) -> Turns:
    port = _servers(host)["v4"].port
    return [
        sh(_connect("127.0.0.1", port)),
        sh(_connect("localhost", port)),
        sh(f"exec 3<>/dev/tcp/127.0.0.1/{port} && echo reached"),
        sh(_connect("127.0.0.2", port)),
    ]


def _ipv6(host: Host, backend: str) -> Turns:
    port = _servers(host)["v6"].port
    return [sh(_connect("::1", port)), sh(f"exec 3<>/dev/tcp/::1/{port} && echo reached")]


def _gateway(host: Host, backend: str) -> Turns:
    port = _servers(host)["v4"].port
    if backend == "local":  # no gateway between it and the host: the host's loopback is its own
        return [sh(_connect("127.0.0.1", port))]
    default_route = (
        "import socket, struct; gw = [l.split()[2] for l in open('/proc/net/route') if l.split()[1] == '00000000'];"
        f" socket.create_connection((socket.inet_ntoa(struct.pack('<I', int(gw[0], 16))), {port}), timeout=3);"
        " print('reached')"
    )
    # Only gateways inside this machine: the sandbox's default route (slirp4netns's, a bridge's on the host, or none)
    # and, where slirp4netns answers it itself, its gateway address; elsewhere 10.0.2.2 could lead off the machine.
    slirp = [sh(_connect(SLIRP_GATEWAY, port))] if backend == "bubblewrap" else []
    return [*slirp, sh(f'python3 -c "{default_route}"')]


def _reached(kind: str):  # type: ignore[no-untyped-def]
    def escaped(host: Host, seen: Seen) -> bool:
        servers = _SERVERS.pop(host.root)
        reached = {name: server.close() for name, server in servers.items()}
        return reached[kind] or any("reached" in run.stdout for run in seen.commands())

    return escaped


LOOPBACK_ATTACKS = [
    Attack(
        "network on: host 127.0.0.1",
        _ipv4,
        _reached("v4"),
        guardrails=NETWORK_ON,
        known_local="no network isolation",
    ),
    Attack("network on: host ::1", _ipv6, _reached("v6"), guardrails=NETWORK_ON, known_local="no network isolation"),
    Attack(
        "network on: host loopback via the gateway",
        _gateway,
        _reached("v4"),
        guardrails=NETWORK_ON,
        known_local="no network isolation",
    ),
]
