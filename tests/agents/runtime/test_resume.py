"""Runs that stop and go on: an `ask` with no one at a terminal pauses the run until `interns approve`, and
`interns resume` continues a paused, killed or cancelled run without running a finished step again."""

from __future__ import annotations

import getpass
import io
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from interns.agents.gate.approval import TerminalAsker
from interns.journal import (
    ApprovalAnswered,
    ApprovalRequested,
    CommandRun,
    Event,
    PolicyDecision,
    RunResumed,
    RunStore,
    StepFinished,
    StepStarted,
    UnknownEvent,
)
from tests.agents.cli.test_cli import interns
from tests.agents.conftest import TaskDir
from tests.agents.processes import sleep_marker, sleeping, wait_for
from tests.agents.runtime.test_repo_workspace import make_repo

EXIT_AWAITING_APPROVAL = 3

TWO_STEPS = [
    {"id": "first", "instructions": "Make one."},
    {"id": "second", "needs": ["first"], "instructions": "Make two."},
]
SCRIPT = {
    "first": [{"call": {"write": {"path": "one.txt", "content": "1\n"}}}, {"final": "made one"}],
    "second": [
        {"call": {"write": {"path": "partial.txt", "content": "p\n"}}},
        {"calls": [{"run": {"command": "echo before-the-pause"}}, {"run": {"command": "touch two.txt"}}]},
        {"call": {"run": {"command": "ls"}}},
        {"final": "made two"},
    ],
}
ASK_TOUCH = {"sandbox": "bubblewrap", "commands": {"allow": ["*"], "ask": ["touch *"]}}


def cli(task_dir: TaskDir, *args: str) -> subprocess.CompletedProcess[str]:
    """`interns ARGS` with no terminal, journaling into the task dir's runs folder."""
    return interns(*args, cwd=task_dir.root, env={"INTERNS_HOME": str(task_dir.runs)})


def run_task(task_dir: TaskDir) -> subprocess.CompletedProcess[str]:
    return cli(task_dir, "run", "task.yaml", "--model", f"scripted:{task_dir.root / 'script.yaml'}")


def journal_of(task_dir: TaskDir) -> tuple[Path, list[Event | UnknownEvent]]:
    store = RunStore(task_dir.runs)
    [header] = store.list()
    return store.dir(header.run_id), list(store.events(header.run_id))


def starts(events: list[Event | UnknownEvent], step: str) -> list[StepStarted]:
    return [e for e in events if isinstance(e, StepStarted) and e.step == step]


def kill_while_sleeping(task_dir: TaskDir, marker: str) -> None:
    """Start `interns run` with SLEEP_FOR=marker and SIGKILL it while its step's `sleep marker` runs."""
    child = subprocess.Popen(
        [sys.executable, "-m", "interns", "run", "task.yaml", "--model", f"scripted:{task_dir.root / 'script.yaml'}"],
        cwd=task_dir.root,
        env={**os.environ, "INTERNS_HOME": str(task_dir.runs), "SLEEP_FOR": marker},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: sleeping(marker), timeout=60)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()


def test_without_a_terminal_an_ask_pauses_the_run_until_a_person_approves(task_dir: TaskDir) -> None:
    task_dir.write({"steps": TWO_STEPS, "guardrails": ASK_TOUCH}, SCRIPT, {"a.txt": "a\n"})

    paused = run_task(task_dir)
    assert paused.returncode == EXIT_AWAITING_APPROVAL, paused.stdout + paused.stderr
    assert "approve" in paused.stdout and "resume" in paused.stdout
    run_dir, events = journal_of(task_dir)
    [request] = [e for e in events if isinstance(e, ApprovalRequested)]
    assert (request.step, request.tool, request.target) == ("second", "run", "touch two.txt")
    assert not (run_dir / "workspace" / "two.txt").exists()
    assert "awaiting_approval" in cli(task_dir, "runs").stdout

    early = cli(task_dir, "resume", "last")
    assert early.returncode == 2 and "still waits" in early.stderr and "touch two.txt" in early.stderr

    approved = cli(task_dir, "approve", "last")
    assert approved.returncode == 0, approved.stderr
    assert "approved: step second: run touch two.txt" in approved.stdout

    resumed = cli(task_dir, "resume", "last")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    _, events = journal_of(task_dir)
    assert (run_dir / "workspace" / "two.txt").exists() and (run_dir / "workspace" / "partial.txt").exists()
    assert len(starts(events, "first")) == 1, "the finished step ran again"
    assert [s.resumed for s in starts(events, "second")] == [False, True]
    [echo] = [e for e in events if isinstance(e, CommandRun) and "before-the-pause" in " ".join(e.argv)]
    assert echo.stdout.strip() == "before-the-pause", "a command from before the pause ran again"
    assert any(isinstance(e, PolicyDecision) and e.asked and e.verdict == "allow" for e in events)
    [back] = [e for e in events if isinstance(e, RunResumed)]
    assert (back.after, back.done, back.resumed) == ("awaiting_approval", ["first"], ["second"])
    [answer] = [e for e in events if isinstance(e, ApprovalAnswered)]
    assert (answer.by, answer.user, answer.host) == ("terminal", getpass.getuser(), socket.gethostname())
    # The conversation went on as it was: the first prompt, the turns before the pause, and those after it.
    history = json.loads((run_dir / "messages" / "second.json").read_text())
    text = json.dumps(history)
    assert "Make two." in text and "before-the-pause" in text and "made two" in text
    assert [m["kind"] for m in history].count("response") == 4
    assert RunStore(task_dir.runs).list()[0].status == "succeeded"


def test_a_refusal_given_with_approve_deny_reaches_the_worker(task_dir: TaskDir) -> None:
    task_dir.write({"steps": TWO_STEPS, "guardrails": ASK_TOUCH}, SCRIPT)
    assert run_task(task_dir).returncode == EXIT_AWAITING_APPROVAL
    assert cli(task_dir, "approve", "last", "--deny", "not on a Friday").returncode == 0

    resumed = cli(task_dir, "resume", "last")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    run_dir, events = journal_of(task_dir)
    assert not (run_dir / "workspace" / "two.txt").exists()
    [refusal] = [e for e in events if isinstance(e, PolicyDecision) and e.verdict == "deny"]
    assert refusal.asked and "not on a Friday" in refusal.reason
    returns = [
        part["content"]
        for message in json.loads((run_dir / "messages" / "second.json").read_text())
        for part in message["parts"]
        if part.get("part_kind") == "tool-return"
    ]
    assert any("not on a Friday" in str(content) for content in returns), returns


def test_approve_refuses_a_run_that_does_not_wait(task_dir: TaskDir) -> None:
    task_dir.write({"steps": TWO_STEPS[:1], "guardrails": ASK_TOUCH}, SCRIPT)
    assert run_task(task_dir).returncode == 0
    answer = cli(task_dir, "approve", "last")
    assert answer.returncode == 2 and "succeeded" in answer.stderr
    again = cli(task_dir, "resume", "last")
    assert again.returncode == 2 and "only a run that is awaiting_approval" in again.stderr


def test_a_paused_step_of_a_repository_keeps_its_work_in_one_commit(task_dir: TaskDir) -> None:
    repo = make_repo(task_dir.root / "repo")
    task = {"workspace": {"repo": "repo", "base": "main"}, "steps": TWO_STEPS, "guardrails": ASK_TOUCH}
    task_dir.write(task, SCRIPT)
    assert run_task(task_dir).returncode == EXIT_AWAITING_APPROVAL
    run_id = RunStore(task_dir.runs).list()[0].run_id
    first_branch = f"interns/steps/{run_id}/first"
    first_tip = repo.git.rev_parse(first_branch)

    assert cli(task_dir, "approve", "last").returncode == 0
    resumed = cli(task_dir, "resume", "last")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr

    assert repo.git.rev_parse(first_branch) == first_tip, "the finished step's branch was redone"
    files = repo.git.ls_tree("-r", "--name-only", f"interns/{run_id}").split()
    assert {"one.txt", "partial.txt", "two.txt"} <= set(files)
    second = f"interns/steps/{run_id}/second"
    own = repo.git.log("--format=%s", "--no-merges", f"{first_branch}..{second}").splitlines()
    assert own == ["interns: step second"], own  # the pause's commit was folded into the step's own
    repo.close()


def test_a_killed_run_resumes_from_the_last_finished_step(task_dir: TaskDir) -> None:
    repo = make_repo(task_dir.root / "repo")
    marker = sleep_marker(700)
    script = {
        "first": [{"call": {"write": {"path": "one.txt", "content": "1\n"}}}, {"final": "made one"}],
        "second": [
            {"call": {"run": {"command": "sleep ${SLEEP_FOR:-0}"}}},
            {"call": {"write": {"path": "two.txt", "content": "2\n"}}},
            {"final": "made two"},
        ],
    }
    guardrails = {"sandbox": "bubblewrap", "env": ["SLEEP_FOR"]}
    task_dir.write(
        {"workspace": {"repo": "repo", "base": "main"}, "steps": TWO_STEPS, "guardrails": guardrails}, script
    )
    kill_while_sleeping(task_dir, marker)
    wait_for(lambda: not sleeping(marker))

    listed = cli(task_dir, "runs")
    assert listed.returncode == 0 and "interrupted" in listed.stdout, listed.stdout + listed.stderr
    run_id = RunStore(task_dir.runs).list()[0].run_id
    first_tip = repo.git.rev_parse(f"interns/steps/{run_id}/first")

    resumed = cli(task_dir, "resume", run_id)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    _, events = journal_of(task_dir)
    assert len(starts(events, "first")) == 1, "the finished step ran again"
    assert len(starts(events, "second")) == 2, "the cut-off step did not start again"
    [back] = [e for e in events if isinstance(e, RunResumed)]
    assert (back.after, back.done) == ("interrupted", ["first"])
    assert repo.git.rev_parse(f"interns/steps/{run_id}/first") == first_tip
    assert {"one.txt", "two.txt"} <= set(repo.git.ls_tree("-r", "--name-only", f"interns/{run_id}").split())
    seqs = [e.seq for e in events]
    assert seqs == list(range(1, len(seqs) + 1)), "the journal's numbering broke at the crash"
    assert [e.status for e in events if isinstance(e, StepFinished)] == ["succeeded", "succeeded"]
    repo.close()


@pytest.mark.anyio
async def test_always_on_the_terminal_approves_the_same_action_for_the_rest_of_the_run(task_dir: TaskDir) -> None:
    script = {
        "work": [
            {"call": {"run": {"command": "touch x"}}},
            {"call": {"run": {"command": "touch x"}}},
            {"call": {"run": {"command": "touch y"}}},
            {"final": "done"},
        ]
    }
    path = task_dir.write({"steps": [{"id": "work", "instructions": "Touch."}], "guardrails": ASK_TOUCH}, script)
    answers = io.StringIO("a\nn\nno y today\n")
    result, events = await task_dir.run(path, asker=TerminalAsker(stdin=answers, stdout=io.StringIO()))
    assert result.status == "succeeded", result.reason
    decisions = [(e.target, e.verdict, e.reason) for e in events if isinstance(e, PolicyDecision) and e.asked]
    assert [(target, verdict) for target, verdict, _ in decisions] == [
        ("touch x", "allow"),
        ("touch x", "allow"),
        ("touch y", "deny"),
    ]
    assert "for the rest of this run" in decisions[0][2] and "approved earlier" in decisions[1][2]
    assert "no y today" in decisions[2][2]
    assert (result.run_dir / "workspace" / "x").exists() and not (result.run_dir / "workspace" / "y").exists()


def test_what_a_killed_step_wrote_in_a_folder_is_still_judged_as_its_own(task_dir: TaskDir) -> None:
    marker = sleep_marker(800)
    sneak = 'test -z "$SLEEP_FOR" || echo sneaked > outside.txt; sleep ${SLEEP_FOR:-0}'
    script = {
        "first": [{"call": {"write": {"path": "src/one.txt", "content": "1\n"}}}, {"final": "made one"}],
        "second": [{"call": {"run": {"command": sneak}}}, {"final": "made two"}],
    }
    guardrails = {"sandbox": "bubblewrap", "env": ["SLEEP_FOR"], "write": ["src/**"]}
    task_dir.write({"steps": TWO_STEPS, "guardrails": guardrails, "review": {"retries": 0}}, script, {"src/a": "a\n"})
    kill_while_sleeping(task_dir, marker)
    run_dir, _ = journal_of(task_dir)
    assert (run_dir / "workspace" / "outside.txt").exists()

    resumed = cli(task_dir, "resume", "last")
    assert resumed.returncode == 1, resumed.stdout + resumed.stderr
    _, events = journal_of(task_dir)
    outside = [e for e in events if isinstance(e, PolicyDecision) and e.verdict == "deny" and e.target == "outside.txt"]
    assert outside, "the write the killed attempt made outside the write paths went unnoticed"
    assert [e.status for e in events if isinstance(e, StepFinished)] == ["succeeded", "failed"]


def test_resume_from_a_stage_keeps_its_edited_output_and_runs_the_later_stages_again(task_dir: TaskDir) -> None:
    stages = [
        {"id": "fix", "instructions": "Fix errors only.", "input": "raw.md", "output": "fixed.md"},
        {"id": "smooth", "needs": ["fix"], "instructions": "Smooth.", "input": "fixed.md", "output": "post.md"},
    ]
    script = {
        "fix": [{"call": {"write": {"path": "fixed.md", "content": "Teh fix.\n"}}}, {"final": "fixed"}],
        "smooth": [
            {"call": {"run": {"command": "cat fixed.md > post.md"}}},
            {"final": "smoothed"},
        ],
    }
    guardrails = {"sandbox": "bubblewrap", "write": ["**"]}
    task_dir.write({"steps": stages, "guardrails": guardrails}, script, {"raw.md": "teh raw\n"})
    assert run_task(task_dir).returncode == 0
    run_dir, _ = journal_of(task_dir)
    (run_dir / "workspace" / "fixed.md").write_text("The fix, as a person corrected it.\n")

    again = cli(task_dir, "resume", "last", "--from", "fix")
    assert again.returncode == 0, again.stdout + again.stderr
    _, events = journal_of(task_dir)
    assert len(starts(events, "fix")) == 1 and len(starts(events, "smooth")) == 2
    assert (run_dir / "workspace" / "post.md").read_text() == "The fix, as a person corrected it.\n"
    [back] = [e for e in events if isinstance(e, RunResumed)]
    assert (back.after, back.from_step, back.done) == ("succeeded", "fix", ["fix"])

    unknown = cli(task_dir, "resume", "last", "--from", "polish")
    assert unknown.returncode == 2 and "no step 'polish'" in unknown.stderr
