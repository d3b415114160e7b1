"""What changed in a workspace since a snapshot, read from the file system: one `Change` per path.

Each change names the path exactly as on disk, its kind, its old and new entry (type, mode, size, hash) and the
lines it counts (see `line_count`). Folders are no change of their own (their files are), except where a path
turned from a folder into something else or back. `list_changes` is the only place changed lines are counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from interns.sandbox.workspace.line_count import COUNT_BYTES, by_size, changed_lines
from interns.sandbox.workspace.snapshot import Snapshot, scan_workspace, skip_folder
from interns.sandbox.workspace.tree_scan import DEFAULT_CAPS, Caps, Entry, Tree, read_bytes, scan_tree

if TYPE_CHECKING:
    from interns.sandbox.workspace.workspaces import Workspace

__all__ = ["Change", "ChangeKind", "compare_folders", "list_changes", "run_baseline", "total_lines"]

ChangeKind = Literal["added", "modified", "deleted", "type_changed", "mode_changed"]


@dataclass(frozen=True)
class Change:
    """One path that differs from the snapshot, and how much."""

    path: str
    kind: ChangeKind
    old: Entry | None
    new: Entry | None
    lines: int


def total_lines(changes: Iterable[Change]) -> int:
    """The changed lines of all the changes."""
    return sum(change.lines for change in changes)


def _kind(old: Entry | None, new: Entry | None, same_content: bool) -> ChangeKind | None:
    if old is None or new is None:
        present = new if old is None else old
        if present is None or present.type == "dir":
            return None
        return "added" if old is None else "deleted"
    if old.type != new.type:
        return "type_changed"
    if old.type == "dir" or (same_content and old.executable == new.executable):
        return None
    return "mode_changed" if same_content else "modified"


def _differences(snapshot: Snapshot, now: Tree) -> list[tuple[str, ChangeKind, Entry | None, Entry | None]]:
    found = []
    for path in sorted(snapshot.entries.keys() | now.entries.keys()):
        old, new = snapshot.entries.get(path), now.entries.get(path)
        if old is not None and new is not None and old.type == new.type:
            if snapshot.by_oid:
                same = snapshot.oids.get(path) == now.oids.get(path)
            else:
                same = (old.size, old.sha256) == (new.size, new.sha256)
        else:
            same = False
        kind = _kind(old, new, same)
        if kind is not None:
            found.append((path, kind, old, new))
    return found


def _content_of(entry: Entry | None) -> bool:
    return entry is not None and entry.type in ("file", "symlink")


def _compare(snapshot: Snapshot, root: Path, now: Tree) -> list[Change]:
    differences = _differences(snapshot, now)
    wanted = [path for path, kind, old, _ in differences if kind != "mode_changed" and _content_of(old)]
    olds = dict(snapshot.old_contents(wanted))
    changes = []
    for path, kind, old, new in differences:
        if kind == "mode_changed":
            lines = 1
        else:
            before = olds.get(path, b"") if _content_of(old) else b""
            after = read_bytes(root, path, new, COUNT_BYTES) if new is not None and _content_of(new) else b""
            if before is None or after is None:  # too large, or gone: counted by size
                lines = max(1, by_size(old.size if old else 0) + by_size(new.size if new else 0))
            else:
                lines = max(1, changed_lines(before, after))
        changes.append(Change(path, kind, old, new, lines))
    return changes


def list_changes(snapshot: Snapshot, workspace: Workspace, caps: Caps = DEFAULT_CAPS) -> list[Change]:
    """Every path of the workspace that differs from the snapshot, by type, mode or content, sorted by path.

    Raises TreeTooLarge past a cap; the message says which.
    """
    now = scan_workspace(workspace, caps, git_oids=snapshot.hash_kind if snapshot.by_oid else "")
    return _compare(snapshot, workspace.path, now)


def compare_folders(old_root: Path, new_root: Path, caps: Caps = DEFAULT_CAPS) -> tuple[Snapshot, list[Change]]:
    """Every path that differs between two folders, leaving out what a folder copy leaves out; and the old one."""
    before = Snapshot.of_folder(old_root, caps)
    return before, _compare(before, new_root, scan_tree(new_root, skip_folder, caps))


def run_baseline(workspace: Workspace, caps: Caps = DEFAULT_CAPS) -> Snapshot:
    """Where a run's workspace started: the worktree's base commit, the copied folder, or the view's inputs."""
    # Imported here: the workspaces make their diffs with this module.
    from interns.sandbox.workspace.input_view import InputView
    from interns.sandbox.workspace.workspaces import FolderCopy, GitWorktree

    if isinstance(workspace, GitWorktree):
        return Snapshot.of_commit(workspace, workspace.base_commit)
    if isinstance(workspace, FolderCopy):
        return Snapshot.of_folder(workspace.source, caps)
    if isinstance(workspace, InputView):  # what the inputs hold at the paths the run wrote
        written = scan_workspace(workspace, caps).entries
        tree = scan_tree(workspace.source, lambda rel, is_dir: rel not in written, caps)
        return Snapshot(tree.entries, source=workspace.source)
    raise TypeError(f"no baseline for a {type(workspace).__name__}")
