"""A step in its worktree: branch names, commits with trailers, counting changed lines, copying what setup made."""

from __future__ import annotations

import shutil
import stat
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from interns.sandbox.git.repo import (
    GitRunError,
    commit_step,
    copy_untracked,
    run_branch,
    run_branches,
    step_branch,
)
from interns.sandbox.workspace.changes import list_changes, run_baseline, total_lines
from interns.sandbox.workspace.workspaces import GitWorktree
from tests.sandbox.gittools import git

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.usefixtures("no_git_identity"),
]


def changed_lines(tree: GitWorktree) -> int:
    """Lines changed since the worktree's base commit, committed or not, read from the file system."""
    return total_lines(list_changes(run_baseline(tree), tree))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose main branch ignores .venv/, with the user's own uncommitted edit."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / ".gitignore").write_text(".venv/\n")
    (path / "app.py").write_text("one\ntwo\nthree\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "first")
    (path / "app.py").write_text("the user's uncommitted edit\n")
    return path


def test_branch_names_are_valid_git_branches_and_reject_unsafe_ids(repo: Path) -> None:
    assert run_branch("20261124-fix-ab12") == "interns/20261124-fix-ab12"
    assert step_branch("20261124-fix-ab12", "diagnose") == "interns/steps/20261124-fix-ab12/diagnose"
    git(repo, "branch", run_branch("r1"))
    git(repo, "branch", step_branch("r1", "a"))  # no clash between the run branch and its step branches
    git(repo, "branch", step_branch("r10", "a"))
    assert run_branches(repo, "r1") == ["interns/r1", "interns/steps/r1/a"]
    for bad in ("", "a/b", "..", "-x", "x.lock", "a b", "a..b", "tail."):
        with pytest.raises(ValueError, match="branch name"):
            step_branch("r1", bad)


def test_commit_step_records_the_trailers_and_leaves_the_checkout_alone(repo: Path, tmp_path: Path) -> None:
    tree = GitWorktree.create(repo, tmp_path / "tree", branch=step_branch("r1", "fix"), base="main")
    (tree.path / "app.py").write_text("one\n2\nthree\n")
    (tree.path / "new.py").write_text("x = 1\n")

    sha = commit_step(tree, "r1", "fix", "Fix the parser\n\nIt split on the wrong character.")

    assert sha is not None
    assert git(repo, "rev-parse", "interns/steps/r1/fix").strip() == sha
    message = git(repo, "log", "-1", "--format=%B", sha)
    assert message.startswith("Fix the parser\n\nIt split on the wrong character.\n\n")
    trailers = subprocess.run(["git", "interpret-trailers", "--parse"], input=message, capture_output=True, text=True)
    assert trailers.stdout == "Interns-Run: r1\nInterns-Step: fix\n"
    assert git(repo, "log", "-1", "--format=%an <%ae>", sha).strip() == "interns <interns@localhost>"
    assert git(repo, "show", "--name-only", "--format=", sha).split() == ["app.py", "new.py"]
    assert commit_step(tree, "r1", "fix", "nothing more") is None
    assert (repo / "app.py").read_text() == "the user's uncommitted edit\n"
    assert git(repo, "status", "--porcelain") == " M app.py\n"
    tree.remove()


def test_changed_lines_counts_committed_uncommitted_and_untracked_changes(repo: Path, tmp_path: Path) -> None:
    tree = GitWorktree.create(repo, tmp_path / "tree", branch=step_branch("r1", "count"), base="main")
    assert changed_lines(tree) == 0
    (tree.path / "app.py").write_text("one\nTWO\nthree\n")  # 1 removed + 1 added
    commit_step(tree, "r1", "count", "committed change")
    (tree.path / "app.py").write_text("one\nTWO\n")  # 1 more removed
    (tree.path / "added.py").write_text("a\nb\nc\n")  # 3 added, untracked
    (tree.path / "logo.png").write_bytes(b"\x89PNG\x00\x01\x02")  # binary: 1
    (tree.path / ".venv").mkdir()
    (tree.path / ".venv" / "ignored.py").write_text("not counted\n")

    assert changed_lines(tree) == 2 + 1 + 3 + 1
    assert changed_lines(replace(tree, exclude=("added.py",))) == 2 + 1 + 1
    assert git(tree.path, "status", "--porcelain") == " M app.py\n?? added.py\n?? logo.png\n"
    tree.remove()


def test_copy_untracked_brings_what_setup_made_with_links_and_modes(repo: Path, tmp_path: Path) -> None:
    setup = GitWorktree.create(repo, tmp_path / "setup", branch="interns/steps/r1/setup", base="main")
    venv = setup.path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "lib").mkdir()
    (venv / "lib" / "site.py").write_text("import sys\n")
    (venv / "bin" / "python").symlink_to("/usr/bin/python3")
    (venv / "lib64").symlink_to("lib")
    script = venv / "bin" / "tool"
    script.write_text("#!/bin/sh\necho tool\n")
    script.chmod(0o750)
    (setup.path / "build").mkdir()
    (setup.path / "build" / "out.txt").write_text("built\n")
    (setup.path / "node_modules" / "dep" / ".git").mkdir(parents=True)
    (setup.path / "node_modules" / "dep" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (setup.path / "node_modules" / "dep" / "index.js").write_text("module.exports = 1\n")
    (setup.path / "top-link").symlink_to("app.py")
    step = GitWorktree.create(repo, tmp_path / "step", branch="interns/steps/r1/a", base="main")

    copied = copy_untracked(setup, step.path)

    assert copied == [".venv", "build", "node_modules", "top-link"]
    copy = step.path / ".venv"
    assert (copy / "bin" / "python").is_symlink() and str((copy / "bin" / "python").readlink()) == "/usr/bin/python3"
    assert (copy / "lib64").is_symlink() and (copy / "lib64" / "site.py").read_text() == "import sys\n"
    assert stat.S_IMODE((copy / "bin" / "tool").stat().st_mode) == 0o750
    assert (step.path / "build" / "out.txt").read_text() == "built\n"
    assert (step.path / "node_modules" / "dep" / "index.js").exists()
    assert not (step.path / "node_modules" / "dep" / ".git").exists()
    assert (step.path / "top-link").is_symlink()
    assert (step.path / ".git").is_file(), "the worktree's own .git link is left alone"

    step = replace(step, exclude=tuple(copied))
    assert step.diff() == "" and changed_lines(step) == 0
    assert commit_step(step, "r1", "a", "setup output is no step's work") is None
    (step.path / "app.py").write_text("one\n")
    assert commit_step(step, "r1", "a", "real work") is not None
    assert git(repo, "show", "--name-only", "--format=", "interns/steps/r1/a").split() == ["app.py"]
    setup.remove()
    step.remove()


def test_commit_step_refuses_while_a_merge_is_in_progress(repo: Path, tmp_path: Path) -> None:
    tree = GitWorktree.create(repo, tmp_path / "tree", branch="interns/steps/r1/x", base="main")
    other = GitWorktree.create(repo, tmp_path / "other", branch="interns/steps/r1/y", base="main")
    (tree.path / "app.py").write_text("x\n")
    (other.path / "app.py").write_text("y\n")
    commit_step(tree, "r1", "x", "x")
    commit_step(other, "r1", "y", "y")
    with pytest.raises(subprocess.CalledProcessError):
        git(tree.path, "merge", "--no-edit", "interns/steps/r1/y")

    with pytest.raises(GitRunError, match="merge is still in progress"):
        commit_step(tree, "r1", "x", "would hide the conflict")
    tree.remove()
    other.remove()
