"""The only way the host runs git on a run's repository and its worktrees, whatever a workspace holds.

A step's worktree is a sandbox's to write, its `.git` file and any `.gitattributes` included. So git never
discovers anything there: every command names its git dir (the repository's own, or a worktree's admin dir, found
from the repository's side) and its work tree; system and global config are off and no `GIT_*` variable is
inherited; and the settings that make git run a program (fsmonitor, hooks, external diff, textconv, filters and
merge drivers, ssh and other transports, pager, editor, signing) are forced off on the command line, which wins
over every config file. The only config git reads is the repository's own (with what it includes), which the
person wrote and no sandbox can reach. Nested repositories are never entered: git would obey their config.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import git  # for its error type only: callers across the code base catch git.GitCommandError

__all__ = ["FALLBACK_IDENTITY", "HostGit", "read_blob"]

FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "interns",
    "GIT_AUTHOR_EMAIL": "interns@localhost",
    "GIT_COMMITTER_NAME": "interns",
    "GIT_COMMITTER_EMAIL": "interns@localhost",
}

# Given with -c, so they win over the repository's config and are passed on to any git that git itself starts.
_FORCED_CONFIG = {
    "core.fsmonitor": "false",
    "core.hooksPath": os.devnull,  # no hook is found there
    "core.sshCommand": "false",
    "core.editor": "false",  # nothing here edits a message: a command that would wait for an editor fails
    "sequence.editor": "false",
    "core.pager": "cat",
    "diff.external": "",  # and --no-ext-diff on every diff: an external diff that still ran would fail
    "protocol.allow": "never",  # no transport at all: no fetch, not even a partial clone's lazy one
    "credential.helper": "",
    "submodule.recurse": "false",
    "status.submoduleSummary": "false",
    "commit.gpgSign": "false",
    "tag.gpgSign": "false",
    "merge.verifySignatures": "false",
    "log.showSignature": "false",
    "merge.stat": "false",
    "rerere.enabled": "false",
    "gc.auto": "0",
    "maintenance.auto": "false",
}

# Flags added to the commands that take them: no external diff or textconv, and no submodule is ever entered to
# see whether it is dirty (a changed submodule commit still shows).
_COMMAND_FLAGS = {
    "diff": ["--no-ext-diff", "--no-textconv", "--ignore-submodules=dirty"],
    "log": ["--no-ext-diff", "--no-textconv"],
    "show": ["--no-ext-diff", "--no-textconv"],
    "status": ["--ignore-submodules=dirty"],
}

# The keys of the drivers `.gitattributes` can name: whatever the repository's config defines, they run nothing.
_DRIVER_KEYS = {
    "filter": {"clean": "", "smudge": "", "process": "", "required": "false"},
    "diff": {"textconv": "", "command": ""},
    "merge": {"driver": ""},  # a merge through a custom driver fails, rather than run it
}

_GITLINK_MODE = "160000"


def _environment(extra: dict[str, str] | None = None, *, user_config: bool = False) -> dict[str, str]:
    """The process environment less every GIT_* variable; system and global config off unless user_config."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("GIT_")}
    if not user_config:
        env |= {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_ATTR_NOSYSTEM": "1"}
    env |= {"GIT_TERMINAL_PROMPT": "0", "GIT_NO_LAZY_FETCH": "1"}
    return env | (extra or {})


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")


def _git(
    argv: Sequence[str], cwd: Path, env: dict[str, str], stdin: bytes | None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *argv], cwd=cwd, env=env, input=stdin, capture_output=True, check=False)


def _raise_for(argv: Sequence[str], done: subprocess.CompletedProcess[bytes]) -> None:
    if done.returncode != 0:
        raise git.GitCommandError(["git", *argv], done.returncode, _decode(done.stderr), _decode(done.stdout))


@lru_cache(maxsize=256)
def _repository(path: str) -> tuple[Path, Path, Path]:
    """A checkout's git dir, common dir and top folder, found the way git finds them from the checkout itself."""
    if not Path(path).is_dir():
        raise git.NoSuchPathError(path)
    argv = ["rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir", "--show-toplevel"]
    done = _git(argv, Path(path), _environment(), None)
    _raise_for(argv, done)
    git_dir, common_dir, top = _decode(done.stdout).splitlines()
    return Path(git_dir), Path(common_dir), Path(top)


@lru_cache(maxsize=256)
def _driver_overrides(common_dir: str) -> tuple[str, ...]:
    """`-c` settings that empty every filter, diff and merge driver the repository's own config defines."""
    pattern = r"^(filter|diff|merge)\..+\.[a-z]+$"
    argv = [f"--git-dir={common_dir}", "config", "-z", "--get-regexp", pattern]
    done = _git(argv, Path(common_dir), _environment(), None)
    names: set[tuple[str, str]] = set()
    for entry in _decode(done.stdout).split("\0"):  # `key\nvalue`; nothing when none is set (exit code 1)
        key = entry.partition("\n")[0]
        section, _, rest = key.partition(".")
        name = rest.rpartition(".")[0]
        if section in _DRIVER_KEYS and name:
            names.add((section, name))
    return tuple(
        f"{section}.{name}.{key}={value}"
        for section, name in sorted(names)
        for key, value in _DRIVER_KEYS[section].items()
    )


_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


@contextmanager
def _repository_lock(common_dir: Path) -> Iterator[None]:
    """One git command at a time on a repository's shared state (its worktree list, its branches) in this process."""
    with _locks_guard:
        lock = _locks.setdefault(common_dir, threading.Lock())
    with lock:
        yield


def _admin_dir(common_dir: Path, worktree: Path) -> Path:
    """The admin dir of a linked worktree, found from the repository's side: the one whose `gitdir` names it."""
    target = os.path.realpath(worktree)
    folder = common_dir / "worktrees"
    for admin in sorted(folder.iterdir()) if folder.is_dir() else []:
        try:
            recorded = Path((admin / "gitdir").read_text().strip())
        except OSError:
            continue
        # The `.git` it names is the worktree's to change: compare the folder that holds it, not where it leads.
        if os.path.realpath(recorded.parent) == target:
            return admin
    raise ValueError(f"{worktree} is not a worktree of the repository at {common_dir}")


@dataclass(frozen=True)
class HostGit:
    """git on one repository or worktree, with the git dir, work tree and config the host chose."""

    git_dir: Path
    common_dir: Path
    work_tree: Path
    shared: bool = False
    """Whether this is the repository itself, whose commands (worktrees, branches) run one at a time."""

    @classmethod
    def of_repository(cls, path: Path) -> HostGit:
        """The person's repository at path (their checkout, never a workspace), at its top folder."""
        git_dir, common_dir, top = _repository(os.path.realpath(path))
        return cls(git_dir, common_dir, top, shared=True)

    @classmethod
    def of_worktree(cls, repo: Path, path: Path) -> HostGit:
        """A linked worktree of repo at path; its `.git` file is not read."""
        main = cls.of_repository(repo)
        return cls(_admin_dir(main.common_dir, path), main.common_dir, Path(os.path.realpath(path)))

    def argv(self, *args: str) -> list[str]:
        """The full git command line (less `git`) for a command and its arguments."""
        options = [f"--git-dir={self.git_dir}", f"--work-tree={self.work_tree}", "--no-pager"]
        settings = [
            *(f"{key}={value}" for key, value in _FORCED_CONFIG.items()),
            *_driver_overrides(str(self.common_dir)),
        ]
        for setting in settings:
            options += ["-c", setting]
        command = list(args)
        if command and command[0] in _COMMAND_FLAGS:
            command[1:1] = _COMMAND_FLAGS[command[0]]
        return [*options, *command]

    def completed(
        self, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        """Run a git command; its exit code and output, whatever the exit code."""
        argv = self.argv(*args)
        if not self.shared:
            return _git(argv, self.work_tree, _environment(env), stdin)
        with _repository_lock(self.common_dir):
            return _git(argv, self.work_tree, _environment(env), stdin)

    def run(self, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> bytes:
        """Run a git command; its output, or git.GitCommandError when it fails."""
        done = self.completed(*args, env=env, stdin=stdin)
        _raise_for(self.argv(*args), done)
        return done.stdout

    def out(self, *args: str, env: dict[str, str] | None = None) -> str:
        """Run a git command; its output as text, less the one newline git ends it with."""
        text = _decode(self.run(*args, env=env))
        return text[:-1] if text.endswith("\n") else text

    def head(self) -> str:
        """The sha HEAD points at."""
        return self.out("rev-parse", "--verify", "HEAD")

    def path_in_git_dir(self, name: str) -> Path:
        """A file of this checkout's own state (index, MERGE_HEAD) in its git dir."""
        return self.git_dir / name

    def gitlinks(self, env: dict[str, str] | None = None) -> list[str]:
        """The paths the index records as submodules (commits of another repository)."""
        listing = _decode(self.run("ls-files", "--stage", "-z", env=env))
        entries = (entry.partition("\t") for entry in listing.split("\0") if entry)
        return [path for info, _, path in entries if info.split(" ", 1)[0] == _GITLINK_MODE]

    def stage_all(self, pathspec: Sequence[str], env: dict[str, str] | None = None) -> None:
        """`git add --all` of the pathspec, leaving recorded submodules as they are.

        git would look inside a recorded submodule's folder with a git of the folder's own config, which the
        workspace wrote.
        """
        kept = [f":(exclude,literal,top){path}" for path in self.gitlinks(env)]
        self.run("add", "--all", "--", *pathspec, *kept, env=env)

    def configured(self, key: str) -> str:
        """A value of the person's config for this repository (system, global, repository), or ""."""
        argv = [f"--git-dir={self.common_dir}", "config", "--get", key]
        done = _git(argv, self.common_dir, _environment(user_config=True), None)
        return _decode(done.stdout).strip() if done.returncode == 0 else ""

    def identity(self) -> dict[str, str]:
        """Author and committer for commits: the person's (their variables, else their config), else interns'."""
        name = os.environ.get("GIT_AUTHOR_NAME") or self.configured("user.name")
        email = os.environ.get("GIT_AUTHOR_EMAIL") or self.configured("user.email")
        if not (name and email):
            return dict(FALLBACK_IDENTITY)
        return {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": os.environ.get("GIT_COMMITTER_NAME") or name,
            "GIT_COMMITTER_EMAIL": os.environ.get("GIT_COMMITTER_EMAIL") or email,
        }

    def blob(self, commit: str, path: str) -> bytes | None:
        """A file's bytes as committed (no filter, no conversion); None when commit holds no file at path."""
        if path.startswith("/") or any(part in (".", "..", "") for part in path.split("/")):
            raise ValueError(f"{path!r} is not a path inside the repository")
        if not commit or commit.startswith("-"):  # `:path` alone would name the index's version
            raise ValueError(f"{commit!r} does not name a commit")
        done = self.completed("cat-file", "blob", f"{commit}:{path}")
        return done.stdout if done.returncode == 0 else None

    def add_worktree(self, dest: Path, start: str, *, new_branch: str | None = None, detach: bool = False) -> HostGit:
        """A linked worktree at dest: on new_branch made from start, detached at start, or on the branch start."""
        if new_branch is not None:
            self.run("worktree", "add", "-b", new_branch, "--", str(dest), start)
        elif detach:
            self.run("worktree", "add", "--detach", "--", str(dest), start)
        else:
            self.run("worktree", "add", "--", str(dest), start)
        return HostGit(_admin_dir(self.common_dir, dest), self.common_dir, Path(os.path.realpath(dest)))

    def remove_worktree(self, path: Path) -> None:
        """Remove a linked worktree and its folder, whatever its own `.git` was changed into."""
        admin = _admin_dir(self.common_dir, path)
        dot_git = Path(path, ".git")
        # git checks that the worktree's `.git` names its admin dir before it removes it: say so again.
        if dot_git.is_symlink() or dot_git.is_file():
            dot_git.unlink()
        elif dot_git.is_dir():
            shutil.rmtree(dot_git)
        if Path(path).is_dir():
            dot_git.write_text(f"gitdir: {admin}\n")
        self.run("worktree", "remove", "--force", "--", str(path))


def read_blob(repo: Path, commit: str, path: str) -> bytes | None:
    """A file's bytes at a commit of the person's repository (`git cat-file blob COMMIT:PATH`); None if absent."""
    return HostGit.of_repository(repo).blob(commit, path)
