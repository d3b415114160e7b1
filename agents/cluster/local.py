"""A Ray cluster on this machine, to try `--on ray` (and to test and benchmark it): a head and more nodes, each a
`ray start --block` process group, so a node can be stopped as a crashed machine would stop."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["LocalCluster"]

RAY = Path(sys.executable).with_name("ray")
"""The `ray` command of this environment, so every node runs the same Python and the same interns."""

NO_TOKEN = {"RAY_AUTH_MODE": "disabled"}
"""Said outright: a `ray start` that finds a token in ~/.ray/auth_token (which any plain `ray.init()` on the machine
leaves there) turns token authentication on, while a driver that connects by address does not use it and is turned
away. A cluster of this machine's processes, for trying and testing, goes without, as a driver expects."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalCluster:
    """A head and further nodes on this machine, 1 CPU each; `address` is the head's GCS address (RAY_ADDRESS)."""

    temp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ray-")))
    """Ray's session folder; short, since a Unix socket path has at most 108 bytes."""
    address: str = ""
    client_address: str = ""
    """The head's Ray Client server, `ray://127.0.0.1:PORT` (`--on ray://...` from a driver off the cluster)."""
    nodes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_node(self, *, head: bool = False, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start a node (the head first) in a process group of its own and wait until the cluster counts it."""
        argv = [str(RAY), "start", "--block", "--num-cpus=1", "--object-store-memory=80000000", "--disable-usage-stats"]
        argv += ["--node-ip-address=127.0.0.1", f"--dashboard-agent-listen-port={_free_port()}"]
        argv += [f"--metrics-export-port={_free_port()}"]
        if head:
            self.address = f"127.0.0.1:{_free_port()}"
            self.client_address = f"ray://127.0.0.1:{_free_port()}"
            argv += ["--head", f"--port={self.address.rsplit(':', 1)[1]}", "--include-dashboard=false"]
            argv += [f"--ray-client-server-port={self.client_address.rsplit(':', 1)[1]}"]
            argv += [f"--temp-dir={self.temp}"]
        else:
            argv += [f"--address={self.address}"]
        with (self.temp / f"node-{len(self.nodes)}.log").open("wb") as log:
            environ = {**os.environ, **NO_TOKEN, **(env or {})}
            node = subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True, env=environ)
        self.nodes.append(node)
        self.wait_for_nodes(len([n for n in self.nodes if n.poll() is None]))
        return node

    def alive_nodes(self) -> int:
        """How many nodes the cluster counts as alive (asked through the `ray` CLI, not this process)."""
        script = (
            "import ray, sys; ray.init(address=sys.argv[1], logging_level='ERROR');"
            "print(sum(1 for n in ray.nodes() if n['Alive']))"
        )
        argv, environ = [sys.executable, "-c", script, self.address], {**os.environ, **NO_TOKEN}
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=environ)
        return int(done.stdout.strip() or 0)

    def wait_for_nodes(self, count: int, timeout: float = 180) -> None:
        """Wait until the cluster counts `count` live nodes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.nodes[0].poll() is not None:
                raise RuntimeError(f"the Ray head stopped; see {self.temp}/node-0.log")
            try:
                if self.alive_nodes() == count:
                    return
            except (subprocess.TimeoutExpired, ValueError):
                pass
            time.sleep(1)
        raise RuntimeError(f"the Ray cluster did not reach {count} nodes; see the logs in {self.temp}")

    def kill(self, node: subprocess.Popen[bytes]) -> None:
        """Kill a node and everything it started (its runs included), as a crashed machine would go."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.pid, signal.SIGKILL)
        node.wait()

    def stop(self) -> None:
        """Stop every node, the head last, and remove Ray's session folder."""
        for node in reversed(self.nodes):
            self.kill(node)
        shutil.rmtree(self.temp, ignore_errors=True)

    @classmethod
    def start(cls, nodes: int = 2) -> LocalCluster:
        """A head and `nodes - 1` more nodes, started and counted by the cluster; stopped again if one fails."""
        cluster = cls()
        try:
            cluster.start_node(head=True)
            for _ in range(nodes - 1):
                cluster.start_node()
        except BaseException:
            cluster.stop()
            raise
        return cluster
