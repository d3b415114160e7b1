"""Ctrl-C in the middle of a command leaves a readable journal that says `cancelled`, and no process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.agents.conftest import BACKENDS, TaskDir


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ctrl_c_cancels_the_run_and_journals_it(task_dir: TaskDir, backend: str) -> None:
    marker = f"{61 + os.getpid() % 1000}.{time.time_ns() % 10**6}"
    task = task_dir.write(
        {"steps": [{"id": "slow", "instructions": "Wait."}], "guardrails": {"sandbox": backend}},
        {"slow": [{"call": {"run": {"command": f"sleep {marker}"}}}, {"final": "never"}]},
    )
    child = subprocess.Popen(
        [sys.executable, "-m", "agents", "run", str(task), "--model", f"scripted:{task_dir.root / 'script.yaml'}"],
        cwd=task_dir.root,
        env={**os.environ, "INTERNS_HOME": str(task_dir.runs)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True).returncode == 0)
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == 130, stdout + stderr
    assert "cancelled" in stderr and "Traceback" not in stderr
    [run_dir] = (task_dir.runs / "runs").iterdir()
    header = json.loads((run_dir / "run.json").read_text())
    assert header["status"] == "cancelled"
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert events[-1]["type"] == "run_finished" and events[-1]["status"] == "cancelled"
    assert any(e["type"] == "step_finished" and e["status"] == "cancelled" for e in events)
    wait_for(lambda: subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True).returncode != 0, 5)
