"""Picking a run up again in its repository: clearing what a stopped run left, reopening a paused step's branch."""

from __future__ import annotations

import shutil
from pathlib import Path

from interns.sandbox.git.repo import worktrees
from interns.sandbox.workspace.workspaces import GitWorktree, head_commit, open_repo

__all__ = ["clear_worktrees", "drop_branch", "paused_message", "reopen_step"]


def paused_message(step_id: str) -> str:
    """The message of the commit that keeps a paused step's work on its branch until the run resumes."""
    return f"interns: step {step_id} (paused for approval)"


def clear_worktrees(repo: Path, root: Path) -> None:
    """Remove every worktree of the repository under `root` (a killed run leaves them), and the folder itself."""
    root = root.resolve()
    for entry in worktrees(repo):
        if not entry.is_main and entry.path.resolve().is_relative_to(root):
            open_repo(repo).git.worktree("remove", "--force", str(entry.path))
    shutil.rmtree(root, ignore_errors=True)
    open_repo(repo).git.worktree("prune")


def drop_branch(repo: Path, branch: str) -> None:
    """Delete a branch a stopped run left half-done, if it exists, so the step starts again from its needs."""
    main = open_repo(repo)
    if main.git.for_each_ref(f"refs/heads/{branch}"):
        main.git.branch("-D", branch)


def reopen_step(repo: Path, dest: Path, branch: str, step_id: str) -> GitWorktree:
    """A worktree at `dest` on an existing step branch, with the work the step had done when it paused uncommitted.

    The commit the pause made is undone into the index, so the step's diff (against the new base) is its own
    work, and its final commit holds all of it.
    """
    main = open_repo(repo)
    main.git.worktree("add", str(dest), branch)
    tree = open_repo(dest)
    tip = tree.head.commit
    if len(tip.parents) == 1 and str(tip.message).strip().startswith(paused_message(step_id)):
        tree.git.reset("--soft", "HEAD~1")
    return GitWorktree(
        repo=Path(main.working_tree_dir or repo).resolve(),
        path=dest.resolve(),
        branch=branch,
        base_commit=head_commit(tree),
    )
