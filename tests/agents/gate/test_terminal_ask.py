"""`ask` rules on a real terminal: the person is prompted, and Ctrl-C at the prompt still ends the run cleanly."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.agents.conftest import TaskDir


def start_on_a_terminal(task_dir: TaskDir, task: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start `interns run` with a pseudo-terminal as its stdin and stdout; return the process and the pty's master."""
    master, slave = os.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "interns", "run", str(task), "--model", f"scripted:{task_dir.root / 'script.yaml'}"],
        cwd=task_dir.root,
        env={**os.environ, "INTERNS_HOME": str(task_dir.runs)},
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    return child, master


def read_until(master: int, text: bytes, timeout: float = 30) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while text not in seen:
        assert time.monotonic() < deadline, f"never saw {text!r} in {seen.decode(errors='replace')}"
        if select.select([master], [], [], 0.1)[0]:
            try:
                seen += os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
    return seen


def drain(master: int, child: subprocess.Popen[bytes], timeout: float = 15) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while (child.poll() is None or select.select([master], [], [], 0)[0]) and time.monotonic() < deadline:
        if select.select([master], [], [], 0.1)[0]:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
    return seen


def ask_task(task_dir: TaskDir) -> Path:
    return task_dir.write(
        {
            "steps": [{"id": "work", "instructions": "Make a file."}],
            "guardrails": {"sandbox": "local", "commands": {"ask": ["touch *"]}},
        },
        {"work": [{"call": {"run": {"command": "touch made-by-worker"}}}, {"final": "done"}]},
    )


def test_a_person_at_the_terminal_approves(task_dir: TaskDir) -> None:
    child, master = start_on_a_terminal(task_dir, ask_task(task_dir))
    try:
        prompt = read_until(master, b"Allow? [y]es once")
        assert b"touch made-by-worker" in prompt
        os.write(master, b"y\n")
        output = drain(master, child)
        assert child.wait(timeout=30) == 0, output.decode(errors="replace")
    finally:
        child.kill()
        os.close(master)
    [run_dir] = (task_dir.runs / "runs").iterdir()
    assert (run_dir / "workspace" / "made-by-worker").exists()
    assert b"APPROVED run" in output


def test_ctrl_c_at_the_prompt_cancels_without_waiting_for_an_answer(task_dir: TaskDir) -> None:
    child, master = start_on_a_terminal(task_dir, ask_task(task_dir))
    try:
        read_until(master, b"Allow? [y]es once")
        child.send_signal(signal.SIGINT)
        drain(master, child)
        assert child.wait(timeout=15) == 130
    finally:
        child.kill()
        os.close(master)
    [run_dir] = (task_dir.runs / "runs").iterdir()
    assert json.loads((run_dir / "run.json").read_text())["status"] == "cancelled"
    assert not (run_dir / "workspace" / "made-by-worker").exists()


HIDING_COMMAND = "rm -rf important #\r\x1b[2K    ls important/"
"""A command that, printed raw, erases itself on the screen and leaves only a harmless `ls` in view."""


def test_the_prompt_shows_every_argument_with_its_controls_visible(task_dir: TaskDir) -> None:
    task = task_dir.write(
        {
            "steps": [{"id": "work", "instructions": "Clean up."}],
            "guardrails": {"sandbox": "local", "commands": {"allow": ["ls *"], "ask": ["rm *"]}},
        },
        {"work": [{"call": {"run": {"command": HIDING_COMMAND}}}, {"final": "done"}]},
        {"important/keep.txt": "precious\n"},
    )
    child, master = start_on_a_terminal(task_dir, task)
    try:
        screen = read_until(master, b"Allow? [y]es once")
        os.write(master, b"n\n")
        read_until(master, b"Why not?")
        os.write(master, b"it hides itself\n")
        drain(master, child)
        child.wait(timeout=30)
    finally:
        child.kill()
        os.close(master)
    question = screen[screen.index(b"wants to run") : screen.index(b"Allow?")].replace(b"\r\n", b"\n").decode()
    assert "\r" not in question and "\x1b" not in question, question
    lines = [line.strip() for line in question.splitlines()]
    assert lines[1:] == ["[0] bash", "[1] -c", "[2] rm -rf important #\\x0d\\x1b[2K    ls important/"], lines
    [run_dir] = (task_dir.runs / "runs").iterdir()
    assert (run_dir / "workspace" / "important" / "keep.txt").exists()
