"""`interns replay`: the README's examples, replayed as they ran and against tightened task files, through the CLI."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from interns.journal import Event, PolicyDecision, RunStarted, RunStore, UnknownEvent
from tests.agents.cli.test_cli import interns
from tests.agents.conftest import bwrap_available

EXAMPLES = Path(__file__).parents[3] / "examples"
README_EXAMPLES = [
    "fix-failing-test",
    "shopping-cart",
    "notes-to-blog-post",
    "weekly-report",
    "meta-review",
    "inbox-triage",
]
TIGHT = {"commands": {"allow": ["*"], "deny": ["*"]}, "read": ["nothing-may-be-read"]}
"""No command runs, and nothing is read, listed or searched."""

pytestmark = pytest.mark.skipif(not bwrap_available(), reason="bubblewrap (bwrap) is not installed")


def run_example(tmp_path: Path, name: str) -> tuple[Path, str]:
    """Copy an example, run it with its script as its README says; return its folder and the run's id."""
    example = tmp_path / name
    shutil.copytree(EXAMPLES / name, example, ignore=shutil.ignore_patterns("repo"))
    if (example / "make-repo").exists():
        subprocess.run([str(example / "make-repo")], check=True, capture_output=True)
    run = interns("run", str(example / "task.yaml"), "--model", f"scripted:{example / 'script.yaml'}", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    [header] = RunStore(tmp_path / ".interns").list()
    return example, header.run_id


def tightened(example: Path, **guardrails: object) -> Path:
    """The example's task file with guardrails laid over its own, beside it."""
    task = yaml.safe_load((example / "task.yaml").read_text())
    task["guardrails"] = {**task.get("guardrails", {}), **guardrails}
    path = example / "tightened.yaml"
    path.write_text(yaml.safe_dump(task, sort_keys=False))
    return path


def calls(events: list[Event | UnknownEvent], verdict: str) -> set[tuple[str | None, str, str]]:
    """The (step, tool, target) of the worker calls the policy judged so."""
    return {
        (e.step, e.tool, e.target)
        for e in events
        if isinstance(e, PolicyDecision) and e.verdict == verdict and "(found on disk)" not in e.reason
    }


def test_a_replay_of_an_unchanged_task_finds_no_difference_and_is_linked(tmp_path: Path) -> None:
    _, original = run_example(tmp_path, "fix-failing-test")
    same = interns("replay", original, "--sandbox", "local", cwd=tmp_path)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "The outcome is the same" in same.stdout
    store = RunStore(tmp_path / ".interns")
    replay = next(h for h in store.list() if h.run_id != original)
    started = next(e for e in store.events(replay.run_id) if isinstance(e, RunStarted))
    assert started.replay_of == original and started.sandbox == "local"
    assert replay.model.startswith("scripted:") and replay.model.endswith(f"replays/{original}.yaml")
    assert calls(list(store.events(replay.run_id)), "allow") == calls(list(store.events(original)), "allow")


def test_a_tightened_task_names_each_call_now_refused_and_each_check_now_failing(tmp_path: Path) -> None:
    example, original = run_example(tmp_path, "fix-failing-test")
    commands = {"allow": ["python3 *", "cat *", "ls *", "grep *"], "deny": ["python3 -m unittest -v"]}
    task = tightened(example, write=["nothing-else"], commands=commands)
    replayed = interns("replay", original, "--task", str(task), cwd=tmp_path)
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr
    said = replayed.stdout.split(" differences:\n")[1]  # after the replay's own timeline
    assert "[diagnose] run python3 -m unittest -v: now REFUSED by guardrails.commands.deny[0]" in said
    assert said.count("[fix] edit calc.py: now REFUSED by guardrails.write") == 2
    assert "[fix] check 'python3 -m unittest -q': now FAILS" in said
    assert "[fix] step succeeded before, failed now" in said
    assert "edit test_calc.py" not in said, "a call refused before and now is reported as a difference"


@pytest.mark.parametrize("name", README_EXAMPLES)
def test_every_call_a_tightened_task_refuses_is_named(tmp_path: Path, name: str) -> None:
    example, original = run_example(tmp_path, name)
    replayed = interns("replay", original, "--task", str(tightened(example, **TIGHT)), cwd=tmp_path)
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr
    said = replayed.stdout.split(" differences:\n")[1]
    store = RunStore(tmp_path / ".interns")
    replay = next(h.run_id for h in store.list() if h.run_id != original)
    before, after = list(store.events(original)), list(store.events(replay))
    refused_now = calls(after, "deny") - calls(before, "deny")
    assert refused_now, f"{name}: nothing was refused by a task that lets nothing run or be read"
    for step, tool, target in refused_now:
        assert f"[{step}] {tool} {target}: now REFUSED by guardrails." in said, (step, tool, target)
    reading = {call for call in calls(before, "allow") if call[1] in ("run", "read", "list", "search")}
    for step, tool, target in reading - calls(after, "deny"):
        assert f"[{step}] {tool} {target}: not reached in the replay" in said, (step, tool, target)
