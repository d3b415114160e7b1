"""Helpers for tests that run `interns` as a child process and watch the processes it starts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from tests.agents.conftest import TaskDir


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll until the predicate holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def sleep_marker(base: int) -> str:
    """A `sleep` duration unique to this test, so its process can be found with pgrep and nothing else matches."""
    return f"{base + os.getpid() % 1000}.{time.time_ns() % 10**6}"


def sleeping(marker: str) -> bool:
    """Whether a `sleep MARKER` process runs anywhere on this machine (container processes included)."""
    return subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True).returncode == 0


def start_run(task_dir: TaskDir, **popen: Any) -> subprocess.Popen[Any]:
    """Start `interns run` on the task dir's task and script, journaling into its runs folder."""
    task, script = task_dir.root / "task.yaml", task_dir.root / "script.yaml"
    return subprocess.Popen(
        [sys.executable, "-m", "interns", "run", str(task), "--model", f"scripted:{script}"],
        cwd=task_dir.root,
        env={**os.environ, "INTERNS_HOME": str(task_dir.runs)},
        **popen,
    )
