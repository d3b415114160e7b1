"""Reading a tree a sandbox wrote: every entry's type, mode, size and content hash, bounded and never following links.

The walk is iterative (os.scandir with an explicit stack) and reads each entry with lstat, so neither a deep tree
nor a link can make the host recurse or leave the tree. Caps on entries, depth and bytes read stop it with
`TreeTooLarge`, whose message says which cap was met and where.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from interns.errors import RunError

__all__ = [
    "DEFAULT_CAPS",
    "SKIPPED_NAMES",
    "Caps",
    "Entry",
    "EntryType",
    "Tree",
    "TreeTooLarge",
    "read_bytes",
    "scan_tree",
    "shown",
]

SKIPPED_NAMES = frozenset({".git", ".venv", "__pycache__", ".interns"})
"""Folder names a folder copy never copies, compares or lands: VCS data, environments, caches, our own runs."""

EntryType = Literal["file", "symlink", "dir", "special"]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Caps:
    """How much of a tree the host reads before it gives up: entries (files, links, folders), depth, bytes hashed."""

    entries: int = 500_000
    depth: int = 200
    bytes: int = 4 << 30


DEFAULT_CAPS = Caps()


class TreeTooLarge(RunError):
    """The tree holds more than the host reads of it; the message says which cap and where."""


@dataclass(frozen=True)
class Entry:
    """One path of a tree as compared: its type, whether it is executable, its size and the sha256 of its content.

    A symbolic link's content is its target; a folder's and a special file's (fifo, socket, device) is empty.
    """

    type: EntryType
    executable: bool = False
    size: int = 0
    sha256: str = ""


@dataclass
class Tree:
    """The entries under a root by relative POSIX path (exactly as on disk), and git blob ids when asked for."""

    entries: dict[str, Entry] = field(default_factory=dict)
    oids: dict[str, str] = field(default_factory=dict)
    """path -> git blob id of its content (files and links), filled when the scan was asked for git ids."""


def shown(path: str) -> str:
    """A path as it may be journaled and printed: undecodable bytes and control characters escaped."""
    text = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


Skip = Callable[[str, bool], bool]
"""Whether a relative path (a folder when the flag is set) is left out of the tree, with all under it."""


def scan_tree(root: Path, skip: Skip, caps: Caps = DEFAULT_CAPS, *, git_oids: str = "") -> Tree:
    """Every entry under root that `skip` keeps; `git_oids` ("sha1" or "sha256") also gives each file its blob id.

    Raises TreeTooLarge past a cap, FileNotFoundError if root is gone.
    """
    tree = Tree()
    budget = [caps.bytes]
    stack: list[tuple[str, int]] = [("", 0)]
    while stack:
        folder, depth = stack.pop()
        with os.scandir(os.path.join(root, folder) if folder else root) as listing:
            found = sorted(listing, key=lambda e: e.name)
        for item in found:
            rel = f"{folder}/{item.name}" if folder else item.name
            info = item.stat(follow_symlinks=False)
            is_dir = stat.S_ISDIR(info.st_mode)
            if skip(rel, is_dir):
                continue
            if len(tree.entries) >= caps.entries:
                raise TreeTooLarge(f"the workspace holds more than {caps.entries} files and folders")
            if is_dir:
                if depth + 1 >= caps.depth:
                    raise TreeTooLarge(f"the workspace nests folders more than {caps.depth} deep, at '{shown(rel)}'")
                tree.entries[rel] = Entry("dir")
                stack.append((rel, depth + 1))
            elif stat.S_ISLNK(info.st_mode):
                target = os.readlink(os.path.join(root, rel)).encode("utf-8", "surrogateescape")
                tree.entries[rel] = Entry("symlink", False, len(target), hashlib.sha256(target).hexdigest())
                if git_oids:
                    tree.oids[rel] = _blob_id(git_oids, target)
            elif stat.S_ISREG(info.st_mode):
                tree.entries[rel] = _hash_file(root, rel, info, budget, caps, git_oids, tree.oids)
            else:
                tree.entries[rel] = Entry("special")
    return tree


def _blob_id(kind: str, data: bytes) -> str:
    digest = hashlib.new(kind, b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def _open(root: Path, rel: str) -> int:
    """A file under root opened for reading without following a link at its last component or blocking on a fifo."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    return os.open(os.path.join(root, rel), flags)


def _hash_file(
    root: Path, rel: str, info: os.stat_result, budget: list[int], caps: Caps, git_oids: str, oids: dict[str, str]
) -> Entry:
    executable = bool(info.st_mode & 0o111)
    if info.st_size > budget[0]:
        raise TreeTooLarge(f"the workspace holds more than {caps.bytes} bytes of files (at '{shown(rel)}')")
    fd = _open(root, rel)
    with os.fdopen(fd, "rb") as file:
        opened = os.fstat(file.fileno())
        if not stat.S_ISREG(opened.st_mode):  # swapped for something else since the listing
            return Entry("special")
        sha = hashlib.sha256()
        blob = hashlib.new(git_oids, b"blob %d\0" % opened.st_size) if git_oids else None
        size = 0
        while chunk := file.read(min(_CHUNK, budget[0] - size + 1)):
            size += len(chunk)
            if size > budget[0]:
                raise TreeTooLarge(f"the workspace holds more than {caps.bytes} bytes of files (at '{shown(rel)}')")
            sha.update(chunk)
            if blob is not None:
                blob.update(chunk)
    budget[0] -= size
    if blob is not None and size == opened.st_size:  # a file that changed while read gets no id: never "in git"
        oids[rel] = blob.hexdigest()
    return Entry("file", executable, size, sha.hexdigest())


def read_bytes(root: Path, rel: str, entry: Entry, limit: int) -> bytes | None:
    """The content of a file or link the scan found, if it is at most `limit` bytes and still what was hashed."""
    if entry.type not in ("file", "symlink") or entry.size > limit:
        return None
    try:
        if entry.type == "symlink":
            data = os.readlink(os.path.join(root, rel)).encode("utf-8", "surrogateescape")
        else:
            with os.fdopen(_open(root, rel), "rb") as file:
                data = file.read(limit + 1)
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == entry.sha256 else None
