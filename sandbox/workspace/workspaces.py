"""Workspaces a step works in: a git worktree on its own branch, or a copy of a folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import git

from interns.sandbox.workspace.tree_diff import tree_diff
from interns.sandbox.workspace.tree_scan import SKIPPED_NAMES

FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "interns",
    "GIT_AUTHOR_EMAIL": "interns@localhost",
    "GIT_COMMITTER_NAME": "interns",
    "GIT_COMMITTER_EMAIL": "interns@localhost",
}


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


# No hooks (they are the user's code, not ours), no recorded resolutions and no auto gc in the user's repo.
_QUIET_GIT_OPTIONS = ["core.hooksPath=" + os.devnull, "rerere.enabled=false", "gc.auto=0", "maintenance.auto=false"]


def open_repo(path: Path) -> git.Repo:
    """The repository or worktree at path, opened so that its git commands run no hooks and no auto gc."""
    repo = git.Repo(path)
    repo.git.set_persistent_git_options(c=_QUIET_GIT_OPTIONS)
    return repo


def head_commit(repo: git.Repo) -> str:
    """The sha HEAD points at (asked of git itself: GitPython's object reader leaves processes running)."""
    return str(repo.git.rev_parse("--verify", "HEAD"))


def is_dirty(repo: Path) -> bool:
    """Whether the checkout at repo has uncommitted changes or untracked files."""
    return bool(git.Repo(repo).is_dirty(untracked_files=True))


def identity_env(repo: git.Repo) -> dict[str, str]:
    """Author and committer for commits: the configured ones, else interns' own."""
    reader = repo.config_reader()
    name = os.environ.get("GIT_AUTHOR_NAME") or reader.get_value("user", "name", default="")
    email = os.environ.get("GIT_AUTHOR_EMAIL") or reader.get_value("user", "email", default="")
    return {} if name and email else dict(FALLBACK_IDENTITY)


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
        main = open_repo(repo)
        base_commit = str(main.git.rev_parse("--verify", "--end-of-options", f"{base}^{{commit}}"))
        main.git.worktree("add", "-b", branch, str(dest), base_commit)
        return cls(
            repo=Path(main.working_tree_dir or repo).resolve(),
            path=dest.resolve(),
            branch=branch,
            base_commit=base_commit,
        )

    def _repo(self) -> git.Repo:
        return open_repo(self.path)

    def pathspec(self) -> list[str]:
        """The whole worktree less the excluded paths, as git pathspecs."""
        ignored: set[str] = set()
        if self.exclude:
            # git adds no ignored path anyway, and `git add` fails when told to leave out one that is ignored.
            listed = self._repo().git.check_ignore("--", *self.exclude, with_exceptions=False)
            ignored = set(str(listed).splitlines())
        return [":(top)", *(f":(exclude,literal,top){path}" for path in self.exclude if path not in ignored)]

    @contextmanager
    def all_changes_staged(self) -> Iterator[dict[str, str]]:
        """An environment whose GIT_INDEX_FILE, a scratch copy of the index, holds every change in the worktree."""
        repo = self._repo()
        index = Path(self.path, repo.git.rev_parse("--git-path", "index"))
        # Stage into a scratch copy of the index, so looking at the changes never changes the worktree's state.
        # copy2 keeps the index's mtime: a fresh mtime would defeat git's racy-clean check, and a file edited in
        # the same second as the checkout, with the same size, would look unchanged.
        with tempfile.TemporaryDirectory(prefix="interns-index-") as scratch:
            scratch_index = Path(scratch, "index")
            if index.exists():
                shutil.copy2(index, scratch_index)
            env = {"GIT_INDEX_FILE": str(scratch_index)}
            repo.git.add("--all", "--", *self.pathspec(), env=env)
            yield env

    def diff(self) -> str:
        """Everything changed since the base commit: commits on the branch, uncommitted and untracked files."""
        with self.all_changes_staged() as env:
            diff = str(self._repo().git.diff("--cached", self.base_commit, env=env))
        return diff + "\n" if diff else ""  # git's own output ends with a newline; GitPython strips it

    def commit(self, message: str) -> str | None:
        """Stage everything and commit it on the branch; the new sha, or None when nothing changed."""
        repo = self._repo()
        repo.git.add("--all", "--", *self.pathspec())
        if not repo.git.diff("--cached", "--name-only"):
            return None
        repo.git.commit("--no-verify", "--no-gpg-sign", "-m", message, env=identity_env(repo))
        return head_commit(repo)

    def remove(self) -> None:
        """Remove the worktree folder; the branch and its commits stay in the repo."""
        open_repo(self.repo).git.worktree("remove", "--force", str(self.path))
