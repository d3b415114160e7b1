"""Fixtures for the escape suite: the runtime's task folder, a host with things to steal, and the outcome table."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.agents.conftest import backend_runs_here, task_dir  # noqa: F401 (fixtures the suite reuses)
from tests.security.outcomes import OUTCOMES_KEY, Outcomes, table

PLANTED_VARIABLE = "INTERNS_PLANTED_NOTE"
"""A host variable holding the secret; its name looks harmless, so redaction cannot hide a leak from the checks."""


@dataclass
class Host:
    """What lies outside the sandbox: files, a variable, a server and a process a worker must not reach."""

    root: Path
    secret: str
    port: int
    sleeper: subprocess.Popen[bytes]
    sleep_marker: str
    connections: threading.Event = field(default_factory=threading.Event)

    @property
    def secret_file(self) -> Path:
        return self.root / "secret.txt"

    @property
    def ssh_key(self) -> Path:
        return self.root / "home" / ".ssh" / "id_rsa"

    @property
    def bare_repo(self) -> Path:
        return self.root / "origin.git"

    def marker(self, name: str) -> Path:
        """A path on the host an attack tries to create; it must stay absent."""
        return self.root / "markers" / name

    def markers_made(self) -> list[str]:
        """Names of the marker files that exist."""
        folder = self.root / "markers"
        return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Host]:
    """A host with a secret file, a fake SSH key, a planted variable, a loopback server and a marked process."""
    root = tmp_path / "host"
    secret = f"host-secret-{uuid.uuid4().hex}"
    (root / "markers").mkdir(parents=True)
    (root / "secret.txt").write_text(secret + "\n")
    (root / "home" / ".ssh").mkdir(parents=True)
    (root / "home" / ".ssh" / "id_rsa").write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{secret}\n")
    monkeypatch.setenv(PLANTED_VARIABLE, secret)
    monkeypatch.setenv("HOME", str(root / "home"))
    subprocess.run(["git", "init", "-q", "--bare", str(root / "origin.git")], check=True)
    marker = f"3000.{uuid.uuid4().int % 10**9:09d}"
    sleeper = subprocess.Popen(["sleep", marker], env={"PATH": os.environ["PATH"], PLANTED_VARIABLE: secret})
    server = socket.create_server(("127.0.0.1", 0))
    made = Host(root, secret, server.getsockname()[1], sleeper, marker)

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            made.connections.set()
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    yield made
    server.close()
    sleeper.kill()
    sleeper.wait()


@pytest.fixture(scope="session")
def outcomes(request: pytest.FixtureRequest) -> Outcomes:
    """The session's table of case × backend → blocked / escaped / known."""
    return request.config.stash.setdefault(OUTCOMES_KEY, {})


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Print the escape table after the run."""
    found = config.stash.get(OUTCOMES_KEY, {})
    if found:
        terminalreporter.write_sep("=", "escape suite: case x backend")
        for line in table(found):
            terminalreporter.write_line(line)
