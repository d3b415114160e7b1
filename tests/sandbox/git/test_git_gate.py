"""The human gate: accepting lands a run on its base branch, rejecting leaves the repo as it was; nothing pushes."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from interns.sandbox.git.gate import accept_run, reject_run
from interns.sandbox.git.merge import create_from, integrate
from interns.sandbox.git.repo import GitRunError, commit_step, run_branches, step_branch
from tests.sandbox.gittools import git

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.usefixtures("no_git_identity"),
]

HOOKS = ("pre-push", "post-checkout", "post-merge", "post-commit", "pre-commit", "reference-transaction")


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Path]:
    """The user's repo on main, with a bogus remote and hooks that leave a mark if git ever runs them."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "app.py").write_text("VALUE = 1\n")
    (path / "lib.py").write_text("def helper():\n    return 1\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "first")
    git(path, "config", "remote.origin.url", str(tmp_path / "no-such-remote.git"))
    git(path, "config", "branch.main.remote", "origin")
    git(path, "config", "branch.main.merge", "refs/heads/main")
    marks = tmp_path / "hook-marks"
    marks.mkdir()
    for hook in HOOKS:
        script = path / ".git" / "hooks" / hook
        script.write_text(f"#!/bin/sh\ntouch '{marks}/{hook}'\n")
        script.chmod(0o755)
    yield path
    assert sorted(p.name for p in marks.iterdir()) == [], "no hook of the user's ran, pre-push included"


def make_run(repo: Path, tmp_path: Path, run_id: str, edits: dict[str, dict[str, str]]) -> None:
    """A run whose steps (step id -> file edits) ran from main and were integrated into its run branch."""
    branches = []
    for step, files in edits.items():
        made = create_from(repo, tmp_path / run_id / step, step_branch(run_id, step), "main", [])
        for name, text in files.items():
            (made.worktree.path / name).write_text(text)
        commit_step(made.worktree, run_id, step, f"step {step}")
        made.worktree.remove()
        branches.append(step_branch(run_id, step))
    run = integrate(repo, tmp_path / run_id / "run", run_id, "main", branches)
    assert run.done
    run.worktree.remove()


def commit_on_main(repo: Path, name: str, text: str) -> str:
    """The person keeps working on main while the run waits for review."""
    (repo / name).write_text(text)
    git(repo, "commit", "-q", "-am", f"user edits {name}")
    return git(repo, "rev-parse", "HEAD").strip()


def snapshot(repo: Path) -> dict[str, object]:
    """What must not change: refs, HEAD, index, config, stash, worktrees and every file of the checkout."""
    files = {
        p.relative_to(repo).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(repo.rglob("*"))
        if ".git" not in p.relative_to(repo).parts and p.is_file()
    }
    dot_git = repo / ".git"
    return {
        "refs": git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
        "HEAD": (dot_git / "HEAD").read_text(),
        "index": (dot_git / "index").read_bytes(),
        "config": (dot_git / "config").read_bytes(),
        "stash": git(repo, "stash", "list", "--format=%H %s"),
        "worktrees": git(repo, "worktree", "list", "--porcelain"),
        "worktree admin": sorted(p.name for p in (dot_git / "worktrees").glob("*")),
        "files": files,
    }


def test_accept_fast_forwards_the_clean_checkout_of_the_base(repo: Path, tmp_path: Path) -> None:
    make_run(repo, tmp_path, "r1", {"a": {"app.py": "VALUE = 2\n"}, "b": {"lib.py": "def helper():\n    return 2\n"}})
    run_commit = git(repo, "rev-parse", "interns/r1").strip()

    outcome = accept_run(repo, "r1", "main")

    assert outcome.how == "fast-forward" and outcome.new_commit == run_commit
    assert outcome.checkout == repo.resolve()
    assert outcome.deleted_branches == ["interns/r1", "interns/steps/r1/a", "interns/steps/r1/b"]
    assert git(repo, "rev-parse", "main").strip() == run_commit
    assert (repo / "app.py").read_text() == "VALUE = 2\n"
    assert git(repo, "status", "--porcelain") == ""
    assert run_branches(repo, "r1") == []
    assert git(repo, "for-each-ref", "--format=%(refname)", "refs/heads/") == "refs/heads/main\n"
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_accept_merges_when_the_base_moved_elsewhere(repo: Path, tmp_path: Path) -> None:
    make_run(repo, tmp_path, "r1", {"a": {"app.py": "VALUE = 2\n"}})
    run_commit = git(repo, "rev-parse", "interns/r1").strip()
    moved = commit_on_main(repo, "lib.py", "def helper():\n    return 'mine'\n")

    outcome = accept_run(repo, "r1", "main")

    assert outcome.how == "merge" and outcome.old_commit == moved
    assert git(repo, "rev-parse", "main").strip() == outcome.new_commit
    assert git(repo, "rev-list", "--parents", "-n1", "main").split()[1:] == [moved, run_commit]
    assert (repo / "app.py").read_text() == "VALUE = 2\n"
    assert (repo / "lib.py").read_text() == "def helper():\n    return 'mine'\n"
    assert git(repo, "status", "--porcelain") == ""
    assert run_branches(repo, "r1") == []
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_accept_refuses_when_the_base_moved_in_a_conflicting_way(repo: Path, tmp_path: Path) -> None:
    make_run(repo, tmp_path, "r1", {"a": {"app.py": "VALUE = 2\n"}})
    commit_on_main(repo, "app.py", "VALUE = 3\n")
    before = snapshot(repo)

    with pytest.raises(GitRunError, match=r"main has moved .*\(conflicts in app\.py\)\. Nothing was changed"):
        accept_run(repo, "r1", "main")

    assert snapshot(repo) == before
    assert run_branches(repo, "r1") == ["interns/r1", "interns/steps/r1/a"]


def test_accept_refuses_when_the_checked_out_base_has_uncommitted_changes(repo: Path, tmp_path: Path) -> None:
    make_run(repo, tmp_path, "r1", {"a": {"app.py": "VALUE = 2\n"}})
    (repo / "lib.py").write_text("def helper():\n    return 'half done'\n")
    before = snapshot(repo)

    with pytest.raises(GitRunError) as refused:
        accept_run(repo, "r1", "main")

    assert f"Commit or stash your changes in {repo}, or check out another branch, then accept again" in str(
        refused.value
    )
    assert snapshot(repo) == before


def test_accept_updates_a_base_that_is_not_checked_out_without_touching_the_checkout(
    repo: Path, tmp_path: Path
) -> None:
    make_run(repo, tmp_path, "r1", {"a": {"app.py": "VALUE = 2\n"}})
    make_run(repo, tmp_path, "r2", {"b": {"lib.py": "def helper():\n    return 2\n"}})
    git(repo, "switch", "-q", "-c", "feature")
    (repo / "app.py").write_text("VALUE = 'my uncommitted work on feature'\n")
    (repo / "scratch.txt").write_text("untracked\n")
    before = snapshot(repo)

    first = accept_run(repo, "r1", "main")
    second = accept_run(repo, "r2", "main")  # main moved with r1: a real merge, in a scratch worktree

    assert (first.how, first.checkout) == ("fast-forward", None)
    assert (second.how, second.checkout) == ("merge", None)
    assert git(repo, "show", "main:app.py") == "VALUE = 2\n"
    assert git(repo, "show", "main:lib.py") == "def helper():\n    return 2\n"
    after = snapshot(repo)
    assert after.pop("refs") != before.pop("refs")
    assert after == before, "the checkout of feature, its index and files are untouched"


def test_reject_leaves_the_repo_as_it_was_before_the_run(repo: Path, tmp_path: Path) -> None:
    (repo / "lib.py").write_text("stashed work\n")
    git(repo, "stash", "-q")
    (repo / "app.py").write_text("VALUE = 'unstaged'\n")
    (repo / "staged.py").write_text("staged = True\n")
    git(repo, "add", "staged.py")
    (repo / "untracked.txt").write_text("untracked\n")
    before = snapshot(repo)
    make_run(repo, tmp_path, "r1", {"a": {"lib.py": "A\n"}, "b": {"app.py": "B\n"}})
    make_run(repo, tmp_path, "other", {"x": {"lib.py": "X\n"}})
    left_over = create_from(repo, tmp_path / "crashed", step_branch("r1", "c"), "main", [])  # a step cut off

    deleted = reject_run(repo, "r1")

    assert sorted(deleted) == ["interns/r1", "interns/steps/r1/a", "interns/steps/r1/b", "interns/steps/r1/c"]
    assert not left_over.worktree.path.exists()
    assert run_branches(repo, "other") == ["interns/other", "interns/steps/other/x"], "other runs are kept"
    reject_run(repo, "other")
    assert snapshot(repo) == before
