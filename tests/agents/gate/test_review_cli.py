"""The human gate from the command line: review, accept, reject, retry with a note, and planning only."""

from __future__ import annotations

import getpass
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import git
import pytest

from tests.agents.cli.test_cli import interns
from tests.agents.conftest import TaskDir
from tests.agents.runtime.test_repo_workspace import make_repo


def snapshot(repo: git.Repo) -> tuple[str, str, str, str]:
    return (repo.git.show_ref(), repo.head.commit.hexsha, repo.git.status("--porcelain"), repo.git.stash("list"))


@pytest.fixture
def repo_run(task_dir: TaskDir) -> Iterator[tuple[git.Repo, Path, list[str]]]:
    """A repo, a task that bumps VALUE, and the `run` command line for it."""
    repo = make_repo(task_dir.root / "repo")
    task = task_dir.write(
        {
            "workspace": {"repo": "repo", "base": "main"},
            "steps": [{"id": "bump", "instructions": "Set VALUE to 2.", "done_when": ["grep -q 'VALUE = 2' app.py"]}],
            "guardrails": {"sandbox": "local"},
        },
        {"bump": [{"call": {"edit": {"path": "app.py", "old": "VALUE = 1", "new": "VALUE = 2"}}}, {"final": "2"}]},
    )
    yield repo, task, ["run", str(task), "--model", f"scripted:{task_dir.root / 'script.yaml'}"]
    repo.close()


def last_run_id(root: Path) -> str:
    return json.loads(interns("show", "last", "--json", cwd=root).stdout.splitlines()[0])["run_id"]


def test_accept_lands_the_work_on_the_base_branch(task_dir: TaskDir, repo_run: tuple) -> None:
    repo, _, run = repo_run
    assert interns(*run, cwd=task_dir.root).returncode == 0
    shown = interns("review", cwd=task_dir.root)
    assert shown.returncode == 0, shown.stderr
    assert "step bump succeeded" in shown.stdout and "+VALUE = 2" in shown.stdout
    assert "decide with --accept" in shown.stdout

    accepted = interns("review", "--accept", cwd=task_dir.root)
    assert accepted.returncode == 0, accepted.stderr
    assert "accepted" in accepted.stdout
    assert (Path(repo.working_dir) / "app.py").read_text() == "VALUE = 2\n", "main's checkout is fast-forwarded"
    assert repo.active_branch.name == "main" and not repo.git.branch("--list", "interns/*")

    again = interns("review", "--accept", cwd=task_dir.root)
    assert again.returncode == 1 and "already accepted" in again.stderr
    [run_dir] = (task_dir.root / ".interns" / "runs").iterdir()
    recorded = json.loads((run_dir / "review.json").read_text())
    assert (recorded["by"], recorded["user"], recorded["host"]) == ("terminal", getpass.getuser(), socket.gethostname())


def test_reject_leaves_the_repo_exactly_as_before(task_dir: TaskDir, repo_run: tuple) -> None:
    repo, _, run = repo_run
    before = snapshot(repo)
    assert interns(*run, cwd=task_dir.root).returncode == 0
    assert snapshot(repo) != before, "the run made its branches"
    rejected = interns("review", "--reject", "not what I meant", cwd=task_dir.root)
    assert rejected.returncode == 0, rejected.stderr
    assert snapshot(repo) == before
    decision = json.loads(
        (task_dir.root / ".interns" / "runs" / last_run_id(task_dir.root) / "review.json").read_text()
    )
    assert (decision["decision"], decision["note"]) == ("rejected", "not what I meant")


def test_retry_runs_again_with_the_note_as_feedback(task_dir: TaskDir, repo_run: tuple) -> None:
    _, _, run = repo_run
    assert interns(*run, cwd=task_dir.root).returncode == 0
    first = last_run_id(task_dir.root)
    retried = interns("review", first, "--retry", "use the constant, not a literal", cwd=task_dir.root)
    assert retried.returncode == 0, retried.stdout + retried.stderr
    second = last_run_id(task_dir.root)
    assert second != first
    events = [json.loads(line) for line in interns("show", second, "--json", cwd=task_dir.root).stdout.splitlines()[1:]]
    assert events[0]["retry_of"] == first
    prompt = next(e["prompt"] for e in events if e["type"] == "step_started")
    assert "use the constant, not a literal" in prompt
    assert (
        json.loads((task_dir.root / ".interns" / "runs" / first / "review.json").read_text())["decision"] == "retried"
    )


def test_plan_only_prints_the_plan_and_runs_nothing(task_dir: TaskDir, repo_run: tuple) -> None:
    _, _, run = repo_run
    result = interns(*run, "--plan-only", cwd=task_dir.root)
    assert result.returncode == 0, result.stderr
    assert "plan: bump" in result.stdout
    assert "The plan (nothing was run):" in result.stdout and "bump: Set VALUE to 2." in result.stdout
    assert "review:" not in result.stdout and "work:" not in result.stdout
    events = [json.loads(line) for line in interns("show", "last", "--json", cwd=task_dir.root).stdout.splitlines()[1:]]
    assert not [e for e in events if e["type"] == "step_started"]


def test_approve_plan_needs_a_terminal(task_dir: TaskDir, repo_run: tuple) -> None:
    _, _, run = repo_run
    result = interns(*run, "--approve-plan", cwd=task_dir.root)
    assert result.returncode == 2 and "needs a terminal" in result.stderr


def test_without_a_human_review_the_work_lands_at_once(task_dir: TaskDir, repo_run: tuple) -> None:
    repo, task, run = repo_run
    task.write_text(task.read_text().replace("supervisor: false", "supervisor: false\n  human: false"))
    result = interns(*run, cwd=task_dir.root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "landed:" in result.stdout
    assert (Path(repo.working_dir) / "app.py").read_text() == "VALUE = 2\n"


def test_a_decided_run_cannot_be_retried_and_nothing_starts(task_dir: TaskDir, repo_run: tuple) -> None:
    repo, _, run = repo_run
    assert interns(*run, cwd=task_dir.root).returncode == 0
    assert interns("review", "--reject", "no", cwd=task_dir.root).returncode == 0
    before = snapshot(repo)
    retried = interns("review", "--retry", "again", cwd=task_dir.root)
    assert retried.returncode == 1 and "already rejected" in retried.stderr
    assert snapshot(repo) == before, "no retry run was started"
    listing = interns("runs", cwd=task_dir.root)
    assert listing.stdout.count("\n") == 2 and "rejected" in listing.stdout
