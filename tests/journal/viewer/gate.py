"""A real run to review: the supervisor bumps a value in a git repository with a scripted model, on its own branch."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import git

from interns.agents.cli.view import GateActions
from interns.agents.runtime.runner import Runner
from interns.journal.viewer import ViewerServer
from tests.agents.conftest import TaskDir
from tests.agents.runtime.test_repo_workspace import make_repo
from tests.journal.viewer.conftest import sign_in


@dataclass
class RepoRun:
    """A run on a repository that stopped: waiting for review, or for a person's approval."""

    repo: git.Repo
    runs: Path
    """The journal root the run is in."""
    run_id: str

    @property
    def value_on_main(self) -> str:
        """`app.py` as the base branch has it now."""
        return self.repo.git.show("main:app.py")


ASKED_COMMAND = "touch approved.txt"
"""The command a paused run's worker waits to be allowed to run."""


def paused_run(root: Path) -> RepoRun:
    """Run a one-step task whose worker, after its edit, asks to run `ASKED_COMMAND`: with no one to ask, it pauses."""
    task_dir = TaskDir(root)
    repo = make_repo(root / "repo")
    task = task_dir.write(
        {
            "workspace": {"repo": "repo", "base": "main"},
            "steps": [{"id": "bump", "instructions": "Set VALUE to 2.", "done_when": ["grep -q 'VALUE = 2' app.py"]}],
            "guardrails": {"sandbox": "local", "commands": {"allow": ["*"], "ask": ["touch *"]}},
            "review": {"retries": 0},
        },
        {
            "bump": [
                {"call": {"edit": {"path": "app.py", "old": "VALUE = 1", "new": "VALUE = 2"}}},
                {"call": {"run": {"command": ASKED_COMMAND}}},
                {"final": "done"},
            ]
        },
    )
    return _run(task_dir, repo, task, root)


def deep_edit_run(root: Path) -> RepoRun:
    """Run a one-step task that edits line 6 of an eight-line `app.py`, then writes a new file."""
    task_dir = TaskDir(root)
    repo = make_repo(root / "repo")
    lines = [f"# line {n}" for n in range(1, 9)]
    lines[5] = "VALUE = 1"
    (root / "repo" / "app.py").write_text("\n".join(lines) + "\n")
    repo.index.add(["app.py"])
    repo.index.commit("eight lines")
    edit = {"edit": {"path": "app.py", "old": "VALUE = 1", "new": "VALUE = 2"}}
    write = {"write": {"path": "notes.txt", "content": 'a "quoted" line\nand a second\n'}}
    task = task_dir.write(
        {
            "workspace": {"repo": "repo", "base": "main"},
            "steps": [{"id": "bump", "instructions": "Set VALUE to 2."}],
            "guardrails": {"sandbox": "local"},
        },
        {"bump": [{"call": edit}, {"call": write}, {"final": "done"}]},
    )
    return _run(task_dir, repo, task, root)


def repo_run(root: Path, *, fail: bool = False) -> RepoRun:
    """Run a one-step task that sets VALUE to 2 in a fresh repository under `root` (a check that fails if `fail`)."""
    task_dir = TaskDir(root)
    repo = make_repo(root / "repo")
    check = "grep -q 'VALUE = 3' app.py" if fail else "grep -q 'VALUE = 2' app.py"
    task = task_dir.write(
        {
            "workspace": {"repo": "repo", "base": "main"},
            "steps": [{"id": "bump", "instructions": "Set VALUE to 2.", "done_when": [check]}],
            "guardrails": {"sandbox": "local"},
            "review": {"retries": 0},
        },
        {"bump": [{"call": {"edit": {"path": "app.py", "old": "VALUE = 1", "new": "VALUE = 2"}}}, {"final": "done"}]},
    )
    return _run(task_dir, repo, task, root)


@contextmanager
def acting_viewer(run: RepoRun) -> Iterator[tuple[RepoRun, ViewerServer, GateActions]]:
    """A viewer over `run`'s journal with the gate's actions, its person signed in; the repository closed after."""
    actions = GateActions(run.runs)
    with ViewerServer(run.runs, actions=actions).start() as server:
        sign_in(server.sign_in_url)
        yield run, server, actions
    actions.wait()
    run.repo.close()


def _run(task_dir: TaskDir, repo: git.Repo, task: Path, root: Path) -> RepoRun:
    supervisor = Runner(task_dir.runs).start(task, model=f"scripted:{root / 'script.yaml'}")
    # In a thread of its own: a test that drives a browser already has an event loop running on this one.
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(asyncio.run, supervisor.run()).result()
    return RepoRun(repo, task_dir.runs, result.run_id)
