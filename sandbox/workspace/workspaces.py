"""Workspaces a step works in: a git worktree on its own branch, or a copy of a folder."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from interns.sandbox.git.host_git import HostGit
from interns.sandbox.workspace.tree_diff import tree_diff
from interns.sandbox.workspace.tree_scan import SKIPPED_NAMES


@runtime_checkable
class Workspace(Protocol):
    """A private place for one step's work, whose changes can be shown and kept."""

    @property
    def path(self) -> Path:
        """The workspace folder on the host."""
        ...

    def diff(self) -> str:
        """A unified diff (git-style a/ b/ paths) of everything changed since the workspace was made."""
        ...

    def commit(self, message: str) -> str | None:
        """Record the changes so far; the commit's sha, or None when nothing was recorded."""
        ...

    def remove(self) -> None:
        """Delete the workspace folder; what was committed stays."""
        ...


@dataclass(frozen=True)
class FolderCopy:
    """A copy of a folder; its diff compares the copy with the original."""

    source: Path
    path: Path

    @classmethod
    def create(cls, source: Path, dest: Path) -> FolderCopy:
        """Copy source to dest (which must not exist), leaving out VCS data, environments and caches."""
        shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns(*SKIPPED_NAMES))
        return cls(source=source.resolve(), path=dest.resolve())

    def diff(self) -> str:
        """Added, removed and changed files from the original to the copy."""
        return tree_diff(self.source, self.path)

    def commit(self, message: str) -> str | None:
        """A folder has no history: nothing to record."""
        return None

    def remove(self) -> None:
        """Delete the copy."""
        shutil.rmtree(self.path, ignore_errors=True)


def is_dirty(repo: Path) -> bool:
    """Whether the checkout at repo has uncommitted changes or untracked files."""
    return bool(HostGit.of_repository(repo).out("status", "--porcelain", "--untracked-files=normal"))


@dataclass(frozen=True)
class GitWorktree:
    """A git worktree on its own branch, made from a base commit without touching the user's checkout."""

    repo: Path
    path: Path
    branch: str
    base_commit: str
    exclude: tuple[str, ...] = ()  # paths (relative, as git status names them) that diff and commit leave out

    @classmethod
    def create(cls, repo: Path, dest: Path, branch: str, base: str) -> GitWorktree:
        """Add a worktree at dest on a new branch started from base."""
        main = HostGit.of_repository(repo)
        base_commit = main.out("rev-parse", "--verify", "--end-of-options", f"{base}^{{commit}}")
        main.add_worktree(dest, base_commit, new_branch=branch)
        return cls(repo=main.work_tree, path=dest.resolve(), branch=branch, base_commit=base_commit)

    def git(self) -> HostGit:
        """git on this worktree, its git dir found from the repository's side (its `.git` file is not read)."""
        return HostGit.of_worktree(self.repo, self.path)

    def pathspec(self) -> list[str]:
        """The whole worktree less the excluded paths, as git pathspecs."""
        ignored: set[str] = set()
        if self.exclude:
            # git adds no ignored path anyway, and `git add` fails when told to leave out one that is ignored.
            listed = self.git().completed("check-ignore", "--", *self.exclude).stdout
            ignored = set(listed.decode("utf-8", errors="surrogateescape").splitlines())
        return [":(top)", *(f":(exclude,literal,top){path}" for path in self.exclude if path not in ignored)]

    @contextmanager
    def all_changes_staged(self) -> Iterator[dict[str, str]]:
        """An environment whose GIT_INDEX_FILE, a scratch copy of the index, holds every change in the worktree."""
        tree = self.git()
        index = tree.path_in_git_dir("index")
        # Stage into a scratch copy of the index, so looking at the changes never changes the worktree's state.
        # copy2 keeps the index's mtime: a fresh mtime would defeat git's racy-clean check, and a file edited in
        # the same second as the checkout, with the same size, would look unchanged.
        with tempfile.TemporaryDirectory(prefix="interns-index-") as scratch:
            scratch_index = Path(scratch, "index")
            if index.exists():
                shutil.copy2(index, scratch_index)
            env = {"GIT_INDEX_FILE": str(scratch_index)}
            tree.stage_all(self.pathspec(), env=env)
            yield env

    def diff(self) -> str:
        """Everything changed since the base commit: commits on the branch, uncommitted and untracked files."""
        with self.all_changes_staged() as env:
            return self.git().run("diff", "--cached", self.base_commit, env=env).decode("utf-8", "surrogateescape")

    def commit(self, message: str) -> str | None:
        """Stage everything and commit it on the branch; the new sha, or None when nothing changed."""
        tree = self.git()
        tree.stage_all(self.pathspec())
        if not tree.out("diff", "--cached", "--name-only"):
            return None
        tree.run("commit", "--no-verify", "--no-gpg-sign", "-m", message, env=tree.identity())
        return tree.head()

    def remove(self) -> None:
        """Remove the worktree folder; the branch and its commits stay in the repo."""
        HostGit.of_repository(self.repo).remove_worktree(self.path)
