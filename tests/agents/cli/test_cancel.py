"""Ctrl-C in the middle of a command leaves a readable journal that says `cancelled`, and no process behind."""

from __future__ import annotations

import json
import signal
import subprocess

import pytest

from tests.agents.conftest import BACKENDS, TaskDir
from tests.agents.processes import sleep_marker, sleeping, start_run, wait_for


@pytest.mark.parametrize("backend", BACKENDS)
def test_ctrl_c_cancels_the_run_and_journals_it(task_dir: TaskDir, backend: str) -> None:
    marker = sleep_marker(61)
    task_dir.write(
        {"steps": [{"id": "slow", "instructions": "Wait."}], "guardrails": {"sandbox": backend}},
        {"slow": [{"call": {"run": {"command": f"sleep {marker}"}}}, {"final": "never"}]},
    )
    child = start_run(task_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: sleeping(marker))
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
    wait_for(lambda: not sleeping(marker), 5)


def test_ctrl_c_totals_are_the_same_everywhere(task_dir: TaskDir) -> None:
    marker = sleep_marker(62)
    task_dir.write(
        {"steps": [{"id": "slow", "instructions": "Wait."}], "guardrails": {"sandbox": "local"}},
        {"slow": [{"text": "Waiting " * 200, "call": {"run": {"command": f"sleep {marker}"}}}, {"final": "never"}]},
    )
    child = start_run(task_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: sleeping(marker))
        child.send_signal(signal.SIGINT)
        child.communicate(timeout=30)
    finally:
        child.kill()
    [run_dir] = (task_dir.runs / "runs").iterdir()
    header = json.loads((run_dir / "run.json").read_text())
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    spent = sum(
        e["usage"]["input_tokens"] + e["usage"]["output_tokens"] for e in events if e["type"] == "model_response"
    )
    finished = events[-1]["usage"]
    assert spent > 0
    assert finished["input_tokens"] + finished["output_tokens"] == spent, "the run's end counts the cut-off step"
    assert header["usage"]["input_tokens"] + header["usage"]["output_tokens"] == spent
