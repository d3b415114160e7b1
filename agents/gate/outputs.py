"""A folder run's outputs: the regular files it made that its task sends to a folder of their own, and copying them.

Outputs are found on the file system, not in the run's diff, whose lines a worker writes: every regular file of the
worked copy that matches the task's globs and is not an input as it was. Links and special files are left out and
named; nothing is read through a link or written outside the outputs folder (see `files`).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from interns.agents.gate.files import Change, Entry, LandingError, land, read_entry
from interns.agents.policy.globs import matches
from interns.sandbox.workspace.snapshot import skip_folder
from interns.sandbox.workspace.tree_scan import scan_tree

__all__ = ["Outputs", "copy_to", "find_outputs", "plan_copy"]


@dataclass
class Outputs:
    """The run's output files with what they hold, and the matching paths left out because they are not files."""

    files: list[tuple[str, Entry]] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)


def _same_link(work: Path, source: Path, rel: str) -> bool:
    """Whether `rel` is a link in both trees to the same place: an input's link the run kept, not one it made."""
    try:
        return os.readlink(work / rel) == os.readlink(source / rel)
    except OSError:
        return False


def find_outputs(work: Path, source: Path, patterns: list[str]) -> Outputs:
    """The files in the worked copy that match `patterns` and are not the inputs as they were."""
    found = Outputs()
    for rel in sorted(p for p, e in scan_tree(work, skip_folder).entries.items() if e.type != "dir"):
        if matches(rel, patterns) is None:
            continue
        made = read_entry(work, rel)
        if made.kind == "absent":
            continue
        if not made.is_file:
            if not (made.kind == "link" and _same_link(work, source, rel)):
                found.left_out.append(f"{rel} ({made.described})")
            continue
        if read_entry(source, rel).same_as(made):
            continue
        found.files.append((rel, made))
    return found


def plan_copy(outputs: Outputs, dest: Path) -> tuple[list[Change], list[str]]:
    """The changes that copy the outputs to `dest`, and the files there a person has with other content."""
    changes, clashes = [], []
    for rel, made in outputs.files:
        there = read_entry(dest, rel) if dest.is_dir() else Entry("absent")
        if there.is_file and there.content == made.content:
            continue
        if there.is_file:
            clashes.append(rel)
        changes.append(Change(rel, made.content, before=there, mode=made.mode))
    return changes, clashes


def copy_to(dest: Path, changes: list[Change]) -> None:
    """Land the planned copies in `dest`, made if missing; all or nothing (a LandingError leaves no `dest` made)."""
    made = not dest.exists()
    dest.mkdir(parents=True, exist_ok=True)
    try:
        land(dest, changes)
    except LandingError:
        if made:
            with contextlib.suppress(OSError):
                dest.rmdir()
        raise
