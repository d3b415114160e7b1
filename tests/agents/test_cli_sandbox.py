"""`interns sandbox cleanup` as a person uses it after a run was killed: real processes, a real engine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.agents.conftest import TaskDir
from tests.agents.test_cli import interns
from tests.sandbox.conftest import skip_unless_runs


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def sleeping(marker: str) -> bool:
    """Whether a `sleep MARKER` process runs anywhere on this machine (container processes included)."""
    return subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True).returncode == 0


def test_cleanup_removes_the_container_of_a_killed_run(task_dir: TaskDir) -> None:
    skip_unless_runs("docker")
    from sandbox.docker_engine import LABEL_PID, connect

    marker = f"{71 + os.getpid() % 1000}.{time.time_ns() % 10**6}"
    task = task_dir.write(
        {"steps": [{"id": "slow", "instructions": "Wait."}], "guardrails": {"sandbox": "docker"}},
        {"slow": [{"call": {"run": {"command": f"sleep {marker}"}}}, {"final": "never"}]},
    )
    child = subprocess.Popen(
        [sys.executable, "-m", "agents", "run", str(task), "--model", f"scripted:{task_dir.root / 'script.yaml'}"],
        cwd=task_dir.root,
        env={**os.environ, "INTERNS_HOME": str(task_dir.runs)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: sleeping(marker))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    client = connect()
    try:
        owned = {"label": f"{LABEL_PID}={child.pid}"}
        [left] = client.containers.list(all=True, filters=owned)
        assert sleeping(marker), "a SIGKILLed run leaves its container and command behind"

        result = interns("sandbox", "cleanup", cwd=task_dir.root)
        assert result.returncode == 0, result.stderr
        assert f"removed {left.name}" in result.stdout
        assert f"process {child.pid} is gone" in result.stdout
        assert client.containers.list(all=True, filters=owned) == []
        wait_for(lambda: not sleeping(marker), 5)
    finally:
        client.close()
