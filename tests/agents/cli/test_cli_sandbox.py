"""`interns sandbox cleanup` as a person uses it after a run was killed: real processes, a real engine."""

from __future__ import annotations

import signal
import subprocess

from tests.agents.cli.test_cli import interns
from tests.agents.conftest import TaskDir
from tests.agents.processes import sleep_marker, sleeping, start_run, wait_for
from tests.sandbox.conftest import skip_unless_runs


def test_cleanup_removes_the_container_of_a_killed_run(task_dir: TaskDir) -> None:
    skip_unless_runs("docker")
    from interns.sandbox.docker.engine import LABEL_PID, connect

    marker = sleep_marker(71)
    task_dir.write(
        {"steps": [{"id": "slow", "instructions": "Wait."}], "guardrails": {"sandbox": "docker"}},
        {"slow": [{"call": {"run": {"command": f"sleep {marker}"}}}, {"final": "never"}]},
    )
    child = start_run(task_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
