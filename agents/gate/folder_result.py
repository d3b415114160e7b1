"""What a folder run's accept lands: the files the run changed in its worked copy, each landing only where the folder
still holds what the run started from.

Three trees are read from the file system, none through a link: the worked copy as it was made (a snapshot of path,
type, mode and sha256 kept in the journal when the run started), the worked copy now, and the folder now. The run's
changes are where the first two differ; the person's, where the folder differs from the start. A change lands only
where the folder is still as the run found it; the person's own changes elsewhere stay as they are.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from interns.agents.gate.files import Change, Entry, read_entry
from interns.sandbox.workspace.snapshot import Snapshot, skip_folder
from interns.sandbox.workspace.tree_scan import Entry as Seen
from interns.sandbox.workspace.tree_scan import scan_tree

__all__ = ["FolderResult", "folder_result"]


@dataclass
class FolderResult:
    """The changes to land, and the files that stop the accept: changed since the run, or not plain files."""

    changes: list[Change] = field(default_factory=list)
    changed_since: list[str] = field(default_factory=list)
    not_files: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    """Files the person changed since the run started that the run did not change: they stay as they are."""


def _as_found(entry: Entry, seen: Seen | None) -> bool:
    """Whether what a path holds now is what the snapshot saw there (absent, or a file of the same bytes and mode)."""
    if seen is None:
        return entry.kind == "absent"
    if seen.type != "file" or not entry.is_file:
        return False
    same_bytes = hashlib.sha256(entry.content).hexdigest() == seen.sha256
    return same_bytes and bool(entry.mode & 0o111) == seen.executable


def folder_result(work: Path, folder: Path, start: Snapshot) -> FolderResult:
    """Compare the worked copy and the folder with where the run started; what can land, and what stops it."""
    now = scan_tree(work, skip_folder).entries
    mine = scan_tree(folder, skip_folder).entries
    result = FolderResult()
    run_changed = {p for p in now.keys() | start.entries.keys() if now.get(p) != start.entries.get(p)}
    for rel in sorted(run_changed):
        if now.get(rel) is not None and now[rel].type == "dir" and start.entries.get(rel) is None:
            continue  # a new folder lands with the files in it
        new, old = read_entry(work, rel), read_entry(folder, rel)
        if new.kind not in ("file", "absent"):
            result.not_files.append(f"{rel} ({new.described} in the worked copy)")
            continue
        if new.same_as(old) and (not new.is_file or new.mode & 0o111 == old.mode & 0o111):
            continue  # the folder already holds it
        if not _as_found(old, start.entries.get(rel)):
            result.changed_since.append(rel if old.kind in ("file", "absent") else f"{rel} (now {old.described})")
            continue
        result.changes.append(Change(rel, new.content if new.is_file else None, before=old, mode=new.mode))
    result.left = sorted(
        p for p in mine.keys() | start.entries.keys() if p not in run_changed and mine.get(p) != start.entries.get(p)
    )
    return result
