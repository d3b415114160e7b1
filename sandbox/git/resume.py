"""Picking a run up again in its repository: clearing what a stopped run left, reopening a paused step's branch."""

from __future__ import annotations

import shutil
from pathlib import Path

from interns.sandbox.git.host_git import HostGit
from interns.sandbox.git.repo import worktrees
from interns.sandbox.workspace.workspaces import GitWorktree

__all__ = ["clear_worktrees", "drop_branch", "paused_message", "reopen_step"]


def paused_message(step_id: str) -> str:
    """The message of the commit that keeps a paused step's work on its branch until the run resumes."""
    return f"interns: step {step_id} (paused for approval)"


def clear_worktrees(repo: Path, root: Path) -> None:
    """Remove every worktree of the repository under `root` (a killed run leaves them), and the folder itself."""
    root, main = root.resolve(), HostGit.of_repository(repo)
    for entry in worktrees(repo):
        if not entry.is_main and entry.path.resolve().is_relative_to(root):
            main.remove_worktree(entry.path)
    shutil.rmtree(root, ignore_errors=True)
    main.run("worktree", "prune")


def drop_branch(repo: Path, branch: str) -> None:
    """Delete a branch a stopped run left half-done, if it exists, so the step starts again from its needs."""
    main = HostGit.of_repository(repo)
    if main.out("for-each-ref", f"refs/heads/{branch}"):
        main.run("branch", "-D", branch)


def reopen_step(repo: Path, dest: Path, branch: str, step_id: str) -> GitWorktree:
    """A worktree at `dest` on an existing step branch, with the work the step had done when it paused uncommitted.

    The commit the pause made is undone into the index, so the step's diff (against the new base) is its own
    work, and its final commit holds all of it.
    """
    main = HostGit.of_repository(repo)
    tree = main.add_worktree(dest, branch)
    parents, _, message = tree.out("log", "-1", "--format=%P%n%B", "HEAD").partition("\n")
    if len(parents.split()) == 1 and message.strip().startswith(paused_message(step_id)):
        tree.run("reset", "--soft", "HEAD~1")
    return GitWorktree(repo=main.work_tree, path=dest.resolve(), branch=branch, base_commit=tree.head())
