"""A run's branches in the user's repo, and what a step does in its worktree: commit, copy what setup made.

Branches: the run branch `interns/<run-id>`, and one branch a step, `interns/steps/<run-id>/<step-id>` (git cannot
hold both `interns/R` and `interns/R/step`: a ref cannot be a file and a folder at once). Nothing here pushes, runs
the user's hooks, signs, or touches the user's checkout.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from interns.errors import EnvironmentProblem
from interns.sandbox.git.host_git import HostGit
from interns.sandbox.workspace.workspaces import GitWorktree

RUN_PREFIX = "interns/"
STEP_PREFIX = "interns/steps/"

# A run or step id that is one safe path component of a branch name (the task file's step ids all are).
_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+=-]*")


class GitRunError(EnvironmentProblem):
    """A git operation on a run that cannot be done as asked; the message says why and what to do."""


def _check_id(kind: str, value: str) -> str:
    if not _ID.fullmatch(value) or value.endswith((".", ".lock")) or ".." in value:
        raise ValueError(f"{kind} id {value!r} cannot be part of a branch name")
    return value


def run_branch(run_id: str) -> str:
    """The branch a run's accepted steps are merged into: `interns/<run-id>`."""
    return RUN_PREFIX + _check_id("run", run_id)


def step_branch(run_id: str, step_id: str) -> str:
    """The branch one step of a run works on: `interns/steps/<run-id>/<step-id>`."""
    return f"{STEP_PREFIX}{_check_id('run', run_id)}/{_check_id('step', step_id)}"


def run_branches(repo: Path, run_id: str) -> list[str]:
    """The branches of the run that exist in repo: the run branch, then its step branches, sorted."""
    refs = HostGit.of_repository(repo).out(
        "for-each-ref", "--format=%(refname)", f"refs/heads/{run_branch(run_id)}", f"refs/heads/{STEP_PREFIX}{run_id}/"
    )
    names = [ref.removeprefix("refs/heads/") for ref in refs.splitlines()]
    return sorted(names, key=lambda name: (name != run_branch(run_id), name))


@dataclass(frozen=True)
class WorktreeEntry:
    """One worktree of a repository as `git worktree list` names it."""

    path: Path
    branch: str | None  # None when HEAD is detached
    is_main: bool
    prunable: bool  # its folder is gone; git forgets it at the next `worktree prune`


def worktrees(repo: Path) -> list[WorktreeEntry]:
    """Every worktree of the repository, the main one first."""
    listing = HostGit.of_repository(repo).out("worktree", "list", "--porcelain")
    entries: list[WorktreeEntry] = []
    for number, block in enumerate(listing.strip().split("\n\n")):
        fields = dict(line.partition(" ")[::2] for line in block.splitlines())
        if "bare" in fields or "worktree" not in fields:
            continue
        branch = fields.get("branch", "").removeprefix("refs/heads/") or None
        entries.append(WorktreeEntry(Path(fields["worktree"]), branch, number == 0, "prunable" in fields))
    return entries


def is_ancestor(repo: HostGit, ancestor: str, descendant: str) -> bool:
    """Whether the commit ancestor names is descendant's or one of its ancestors."""
    done = repo.completed("merge-base", "--is-ancestor", ancestor, descendant)
    if done.returncode not in (0, 1):
        repo.run("merge-base", "--is-ancestor", ancestor, descendant)  # raises, with git's message
    return done.returncode == 0


def merge_in_progress(worktree: GitWorktree) -> bool:
    """Whether a merge was started in the worktree and not yet committed or aborted."""
    return worktree.git().path_in_git_dir("MERGE_HEAD").exists()


def commit_step(worktree: GitWorktree, run_id: str, step_id: str, message: str) -> str | None:
    """Commit every change in the worktree with the run's and step's trailers; the sha, or None if nothing changed."""
    if merge_in_progress(worktree):
        raise GitRunError(
            f"A merge is still in progress in {worktree.path}; finish it (finish_merge) before committing the step."
        )
    tree = worktree.git()
    tree.stage_all(worktree.pathspec())
    if not tree.out("diff", "--cached", "--name-only"):
        return None
    trailers = ["--trailer", f"Interns-Run: {run_id}", "--trailer", f"Interns-Step: {step_id}"]
    tree.run("commit", "--no-verify", "--no-gpg-sign", "-m", message, *trailers, env=tree.identity())
    return tree.head()


def untracked_paths(worktree: GitWorktree) -> list[str]:
    """The untracked and the ignored files and folders of a worktree, folders named once (with no trailing /)."""
    status = worktree.git().out("status", "--porcelain=v1", "-z", "--ignored", "--untracked-files=normal")
    return sorted(entry[3:].rstrip("/") for entry in status.split("\0") if entry[:3] in ("?? ", "!! "))


def copy_untracked(src: GitWorktree, dest_worktree: Path) -> list[str]:
    """Copy what is untracked or ignored in one worktree (what setup made: .venv, node_modules) into another.

    Symlinks are copied as links, modes and times kept; `.git` folders are left out. Returns the copied paths,
    relative and as git names them, which are also what a worktree should `exclude` from its diffs and commits.
    """
    copied = untracked_paths(src)
    for relative in copied:
        source, target = Path(src.path, relative), Path(dest_worktree, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            if target.is_symlink() or target.is_file():
                target.unlink()
            os.symlink(os.readlink(source), target)
        elif source.is_dir():
            shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(".git"), dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
    return copied
