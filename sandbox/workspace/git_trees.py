"""What the host asks git about a worktree a sandbox wrote: its git dir, what it ignores, blob ids and contents.

Every call goes through `_git`: the git dir named explicitly (one the host found in the repository, never the
worktree's `.git` file), system and global config off, no hooks, no fsmonitor, run from the git dir, never from
inside the worktree. Paths come back NUL-separated, exactly as on disk.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from interns.errors import EnvironmentProblem

__all__ = [
    "GitTreeError",
    "common_dir",
    "ignored_paths",
    "object_format",
    "present_blobs",
    "read_blobs",
    "tree_blobs",
    "worktree_dir",
]


class GitTreeError(EnvironmentProblem):
    """git could not answer about the worktree; the message says what was asked."""


_HARDENED = [
    "-c", "core.hooksPath=" + os.devnull,
    "-c", "core.fsmonitor=false",
    "-c", "core.untrackedCache=false",
    "-c", "core.quotePath=false",
]  # fmt: skip


def _git(git_dir: Path, *args: str, work_tree: Path | None = None, stdin: bytes | None = None) -> bytes:
    """Run one git command against an explicit git dir with no system or global config; its stdout."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_NO_REPLACE_OBJECTS": "1",
        "LC_ALL": "C",
    }
    argv = ["git", f"--git-dir={git_dir}", *_HARDENED]
    if work_tree is not None:
        argv.append(f"--work-tree={work_tree}")
    done = subprocess.run([*argv, *args], input=stdin, capture_output=True, env=env, cwd=git_dir, check=False)
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip()
        raise GitTreeError(f"git {args[0]} failed in {git_dir}: {detail}")
    return done.stdout


def common_dir(repo: Path) -> Path:
    """The git dir of the user's repository (its own checkout, which no sandbox writes), shared by its worktrees."""
    plain = repo / ".git"
    if plain.is_dir() and not plain.is_symlink():
        return plain.resolve()
    if plain.is_file():  # the user's checkout is itself a linked worktree or a submodule: `gitdir: <its git dir>`
        text = plain.read_text(encoding="utf-8").strip()
        if text.startswith("gitdir: "):
            private = (repo / text.removeprefix("gitdir: ")).resolve()
            shared = private / "commondir"
            return (private / shared.read_text(encoding="utf-8").strip()).resolve() if shared.is_file() else private
    if (repo / "HEAD").is_file() and (repo / "objects").is_dir():  # a bare repository
        return repo.resolve()
    raise GitTreeError(f"{repo} is not a git repository interns can read")


def worktree_dir(common: Path, worktree: Path) -> Path:
    """The private git dir of a linked worktree, found by the repository's own record of where the worktree is."""
    # Compare the folders, not the `.git` files in them: a sandbox may have made its `.git` a link.
    wanted = os.path.realpath(worktree)
    records = common / "worktrees"
    for record in sorted(records.iterdir()) if records.is_dir() else []:
        gitdir = record / "gitdir"
        if gitdir.is_file() and os.path.realpath(os.path.dirname(gitdir.read_text(encoding="utf-8").strip())) == wanted:
            return record
    raise GitTreeError(f"{worktree} is not a worktree of the repository at {common}")


def object_format(git_dir: Path) -> str:
    """The repository's hash: "sha1" or "sha256"."""
    return _git(git_dir, "rev-parse", "--show-object-format").decode().strip() or "sha1"


def ignored_paths(git_dir: Path, worktree: Path) -> set[str]:
    """Untracked paths the worktree's ignore rules leave out of a commit; a folder ignored whole ends with `/`."""
    out = _git(
        git_dir, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory", work_tree=worktree
    )
    return {os.fsdecode(name) for name in out.split(b"\0") if name}


def tree_blobs(git_dir: Path, commit: str) -> dict[str, tuple[str, str, int]]:
    """path -> (mode, blob id, size) of every blob and submodule in the commit's tree (a submodule's size is 0)."""
    out = _git(git_dir, "ls-tree", "-r", "-z", "-l", "--full-tree", "--end-of-options", commit)
    found: dict[str, tuple[str, str, int]] = {}
    for record in out.split(b"\0"):
        if record:
            meta, _, name = record.partition(b"\t")
            mode, _, oid, size = meta.decode().split()
            found[os.fsdecode(name)] = (mode, oid, int(size) if size.isdigit() else 0)
    return found


def present_blobs(git_dir: Path, oids: Iterable[str]) -> set[str]:
    """Those of the blob ids the repository holds."""
    wanted = list(dict.fromkeys(oids))
    if not wanted:
        return set()
    out = _git(git_dir, "cat-file", "--batch-check", stdin="".join(f"{oid}\n" for oid in wanted).encode())
    return {line.split(b" ")[0].decode() for line in out.splitlines() if line.split(b" ")[1:2] == [b"blob"]}


def read_blobs(git_dir: Path, oids: Iterable[str]) -> dict[str, bytes]:
    """The content of each blob id that the repository holds; ids it does not hold are left out."""
    wanted = list(dict.fromkeys(oids))
    if not wanted:
        return {}
    out = _git(git_dir, "cat-file", "--batch", stdin="".join(f"{oid}\n" for oid in wanted).encode())
    found: dict[str, bytes] = {}
    at = 0
    for oid in wanted:
        end = out.index(b"\n", at)
        header = out[at:end].split(b" ")
        at = end + 1
        if len(header) != 3:  # "<oid> missing"
            continue
        size = int(header[2])
        if header[1] == b"blob":
            found[oid] = out[at : at + size]
        at += size + 1
    return found
