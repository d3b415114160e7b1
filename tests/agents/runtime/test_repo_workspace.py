"""A task on a git repository works on a branch of its own and leaves the person's checkout alone."""

from __future__ import annotations

import subprocess
from pathlib import Path

import git
import pytest

from tests.agents.conftest import BACKENDS, TaskDir

pytestmark = pytest.mark.anyio


def make_repo(path: Path) -> git.Repo:
    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test").set_value("user", "email", "test@example.com")
    (path / "app.py").write_text("VALUE = 1\n")
    repo.index.add(["app.py"])
    repo.index.commit("first")
    return repo


@pytest.mark.parametrize("backend", BACKENDS)
async def test_work_lands_on_a_run_branch_and_the_checkout_is_untouched(task_dir: TaskDir, backend: str) -> None:
    repo = make_repo(task_dir.root / "repo")
    (task_dir.root / "repo" / "app.py").write_text("VALUE = 1  # my uncommitted edit\n")
    status_before = repo.git.status("--porcelain")
    task = task_dir.write(
        {
            "workspace": {"repo": "repo", "base": "main"},
            "steps": [{"id": "bump", "instructions": "Set VALUE to 2.", "done_when": ["grep -q 'VALUE = 2' app.py"]}],
            "guardrails": {"sandbox": backend},
        },
        {"bump": [{"call": {"edit": {"path": "app.py", "old": "VALUE = 1", "new": "VALUE = 2"}}}, {"final": "ok"}]},
    )
    result, _ = await task_dir.run(task)
    assert result.status == "succeeded", result.reason

    assert repo.git.status("--porcelain") == status_before
    assert (task_dir.root / "repo" / "app.py").read_text() == "VALUE = 1  # my uncommitted edit\n"
    assert repo.active_branch.name == "main" and repo.head.commit.message == "first"
    branch = f"interns/{result.run_id}"
    assert repo.git.show(f"{branch}:app.py") == "VALUE = 2"
    assert f"Interns-Run: {result.run_id}" in repo.commit(branch).message
    assert not (result.run_dir / "worktree").exists(), "the worktree is removed when the run ends"
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=repo.working_dir, capture_output=True, text=True)
    assert worktrees.stdout.count("\n") == 1
    assert "+VALUE = 2" in (result.run_dir / "final.diff").read_text()
    repo.close()
