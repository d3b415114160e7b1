"""A workspace as a step found it: each path's type, mode, size and hash, and a way back to the old contents.

A snapshot is taken from the file system when a step starts (`take`), or made from a commit's tree (`of_commit`),
and kept as JSON for a run that stops and goes on. Old contents, needed only to count lines and show a diff, come
from the first place that has them: the run's store of copies (by sha256), the repository (by blob id), or the
folder the workspace was copied from (by path, used only while its hash still matches).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from interns.sandbox.workspace.git_trees import (
    common_dir,
    ignored_paths,
    object_format,
    present_blobs,
    read_blobs,
    tree_blobs,
    worktree_dir,
)
from interns.sandbox.workspace.line_count import COUNT_BYTES
from interns.sandbox.workspace.tree_scan import (
    DEFAULT_CAPS,
    SKIPPED_NAMES,
    Caps,
    Entry,
    Skip,
    Tree,
    read_bytes,
    scan_tree,
)

if TYPE_CHECKING:
    from interns.sandbox.workspace.workspaces import GitWorktree, Workspace

__all__ = ["Snapshot", "scan_workspace"]

_BATCH_BYTES = 64 << 20
"""Old contents read from git at once."""


@dataclass(frozen=True)
class Reading:
    """How one workspace's tree is read: what is left out, and the repository behind it, if any."""

    skip: Skip
    git_dir: Path | None = None
    hash_kind: str = ""
    source: Path | None = None


def _reading(workspace: Workspace) -> Reading:
    """How to read a workspace's tree: a folder leaves out what is never copied, a worktree what git ignores."""
    # Imported here: the workspaces make their diffs with this module.
    from interns.sandbox.workspace.input_view import InputView
    from interns.sandbox.workspace.workspaces import FolderCopy, GitWorktree

    if isinstance(workspace, GitWorktree):
        common = common_dir(workspace.repo)
        ignored = ignored_paths(worktree_dir(common, workspace.path), workspace.path)
        left_out = set(workspace.exclude)

        def skip_in_git(rel: str, is_dir: bool) -> bool:
            return rel == ".git" or rel in left_out or (rel + "/" if is_dir else rel) in ignored

        return Reading(skip_in_git, common, object_format(common))
    if isinstance(workspace, InputView):
        stubs = workspace.stub_names()

        def skip_in_view(rel: str, is_dir: bool) -> bool:
            return rel.rsplit("/", 1)[-1] in SKIPPED_NAMES or rel in stubs

        return Reading(skip_in_view)
    source = workspace.source if isinstance(workspace, FolderCopy) else None
    return Reading(skip_folder, source=source)


def skip_folder(rel: str, is_dir: bool) -> bool:
    """A folder's VCS data, environments, caches and runs: never copied, compared or landed."""
    return rel.rsplit("/", 1)[-1] in SKIPPED_NAMES


def scan_workspace(workspace: Workspace, caps: Caps = DEFAULT_CAPS, *, git_oids: str = "") -> Tree:
    """The workspace's tree as it is now, read by its own rules (with blob ids of the `git_oids` kind, if given)."""
    return scan_tree(workspace.path, _reading(workspace).skip, caps, git_oids=git_oids)


@dataclass
class Snapshot:
    """A tree at one moment, and where its old contents can be read back."""

    entries: dict[str, Entry]
    oids: dict[str, str] = field(default_factory=dict)
    """path -> blob id the repository holds for its content."""
    by_oid: bool = False
    """Compare contents by blob id (a commit's tree knows no sha256)."""
    blobs: Path | None = None
    """A folder of copies of old contents, named by sha256."""
    source: Path | None = None
    """A folder whose file at the same path may hold the old content (used only while its sha256 matches)."""
    git_dir: Path | None = None
    hash_kind: str = ""

    @classmethod
    def take(cls, workspace: Workspace, blobs: Path | None, caps: Caps = DEFAULT_CAPS) -> Snapshot:
        """The workspace now; contents no other place keeps are copied into `blobs` (None: keep none)."""
        reading = _reading(workspace)
        tree = scan_tree(workspace.path, reading.skip, caps, git_oids=reading.hash_kind)
        snap = cls(tree.entries, blobs=blobs, source=reading.source, git_dir=reading.git_dir)
        if reading.git_dir is not None:
            held = present_blobs(reading.git_dir, tree.oids.values())
            snap.oids = {path: oid for path, oid in tree.oids.items() if oid in held}
        if blobs is not None:
            snap._keep(workspace.path)
        return snap

    @classmethod
    def of_commit(cls, worktree: GitWorktree, commit: str) -> Snapshot:
        """The tree of a commit of the worktree's repository, compared by blob id."""
        git_dir = common_dir(worktree.repo)
        entries: dict[str, Entry] = {}
        oids: dict[str, str] = {}
        for path, (mode, oid, size) in tree_blobs(git_dir, commit).items():
            if mode == "160000":  # a submodule: a folder on disk
                entries[path] = Entry("dir")
                continue
            entries[path] = Entry("symlink" if mode == "120000" else "file", mode == "100755", size)
            oids[path] = oid
        return cls(entries, oids, by_oid=True, git_dir=git_dir, hash_kind=object_format(git_dir))

    @classmethod
    def of_folder(cls, root: Path, caps: Caps = DEFAULT_CAPS) -> Snapshot:
        """A folder of the user's (a task's source), its contents read back from it."""
        return cls(scan_tree(root, skip_folder, caps).entries, source=root)

    def _keep(self, root: Path) -> None:
        """Copy into the store each old content no other place can give back."""
        assert self.blobs is not None
        self.blobs.mkdir(parents=True, exist_ok=True)
        for path, entry in self.entries.items():
            if entry.type not in ("file", "symlink") or entry.size > COUNT_BYTES or path in self.oids:
                continue
            stored = self.blobs / entry.sha256
            if stored.exists() or self._from_source(path, entry) is not None:
                continue
            data = read_bytes(root, path, entry, COUNT_BYTES)
            if data is not None:
                fd, tmp = tempfile.mkstemp(dir=self.blobs)
                with os.fdopen(fd, "wb") as file:
                    file.write(data)
                os.replace(tmp, stored)

    def _from_source(self, path: str, entry: Entry) -> bytes | None:
        if self.source is None or entry.type != "file":
            return None
        return read_bytes(self.source, path, entry, COUNT_BYTES)

    def old_contents(self, paths: list[str]) -> Iterator[tuple[str, bytes | None]]:
        """Each path's old content, or None where it is too large or no longer to be had."""
        batch: list[str] = []
        size = 0
        for path in paths:
            batch.append(path)
            size += self.entries[path].size
            if size >= _BATCH_BYTES:
                yield from self._read_batch(batch)
                batch, size = [], 0
        yield from self._read_batch(batch)

    def _read_batch(self, paths: list[str]) -> Iterator[tuple[str, bytes | None]]:
        small = [p for p in paths if self.entries[p].size <= COUNT_BYTES]
        from_git = {}
        if self.git_dir is not None:
            from_git = read_blobs(self.git_dir, [self.oids[p] for p in small if p in self.oids])
        for path in paths:
            entry = self.entries[path]
            data = from_git.get(self.oids.get(path, ""))
            if data is None and path in small:
                data = self._stored(entry)
            if data is None and path in small:
                data = self._from_source(path, entry)
            yield path, data

    def _stored(self, entry: Entry) -> bytes | None:
        if self.blobs is None or not entry.sha256:
            return None
        try:
            data = (self.blobs / entry.sha256).read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == entry.sha256 else None

    def save(self, path: Path) -> None:
        """Keep the snapshot as JSON at path."""
        data = {
            "version": 1,
            "entries": {p: [e.type, e.executable, e.size, e.sha256] for p, e in self.entries.items()},
            "oids": self.oids,
            "by_oid": self.by_oid,
            "blobs": str(self.blobs) if self.blobs else None,
            "source": str(self.source) if self.source else None,
            "git_dir": str(self.git_dir) if self.git_dir else None,
            "hash_kind": self.hash_kind,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".snapshot-")
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(data, file)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Snapshot:
        """A snapshot `save` kept."""
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = {p: Entry(t, bool(x), int(s), str(h)) for p, (t, x, s, h) in data["entries"].items()}
        opt = {key: Path(data[key]) if data[key] else None for key in ("blobs", "source", "git_dir")}
        return cls(entries, dict(data["oids"]), bool(data["by_oid"]), hash_kind=str(data["hash_kind"]), **opt)
