"""What a folder run's accept lands: the files its worked copy holds that differ from the folder, each checked to be
the run's own change to a file the folder still holds as the run found it.

The file system says what differs (both trees read without following links); the run's diff, which the host wrote
when the run ended, is the record of what the run started from: a file lands only when the diff holds, byte for byte,
the section that goes from the folder's file as it is now to the worked copy's. A file the diff does not name was
not the run's change and is left as the person has it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from interns.agents.gate.files import Change, Entry, read_entry
from interns.sandbox.workspace.tree_diff import file_diff, tree_files

__all__ = ["FolderResult", "folder_result"]

_REDACTED = "[REDACTED:"
_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


@dataclass
class FolderResult:
    """The changes to land, and the files that stop the accept: changed since the run, or not plain files."""

    changes: list[Change] = field(default_factory=list)
    changed_since: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    """Files whose section in the journal's diff had a secret redacted, so it cannot vouch for them."""
    not_files: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    """Files that differ from the worked copy but that the run's diff does not name: the person's, left as they are."""


def _sections(diff: str) -> dict[str, list[str]]:
    """The diff's per-file sections, by the header line that starts each."""
    sections: dict[str, list[str]] = {}
    header, lines = "", list[str]()
    # Lines end at "\n" only, as git-style diffs do: str.splitlines would also break at \x0b, \x1c, \u2028 ...
    for line in _LINE.findall(diff):
        if line.startswith("diff --git "):
            if header:
                sections.setdefault(header, []).append("".join(lines))
            header, lines = line, []
        lines.append(line)
    if header:
        sections.setdefault(header, []).append("".join(lines))
    return sections


def _git_mode(entry: Entry) -> str:
    return "100755" if entry.mode & 0o111 else "100644"


def _unchanged_since(folder: Path, rel: str, started: datetime) -> bool:
    """For a binary file, whose diff holds no content: whether its status has not changed since the run started."""
    try:
        changed = (folder / rel).lstat().st_ctime_ns
    except OSError:
        return False
    return changed < int(started.timestamp() * 1_000_000_000)


def folder_result(work: Path, folder: Path, diff: str, started: datetime) -> FolderResult:
    """Compare the worked copy with the folder; the run's changes that can land, and what stops them."""
    sections = _sections(diff)
    result = FolderResult()
    for rel in sorted(tree_files(work) | tree_files(folder)):
        new, old = read_entry(work, rel), read_entry(folder, rel)
        if new.same_as(old):
            continue
        if "\n" in rel or "\r" in rel:
            # Such a name writes lines of its own into the diff, which could pose as another file's section.
            result.not_files.append(f"{rel!r} (a name with a line break, which the run's diff cannot record)")
            continue
        header = f"diff --git a/{rel} b/{rel}\n"
        if header not in sections:
            result.left.append(rel)  # not the run's change: the person's since, which stays
            continue
        if new.kind not in ("file", "absent"):
            result.not_files.append(f"{rel} ({new.described} in the worked copy)")
            continue
        if old.kind not in ("file", "absent"):
            result.changed_since.append(f"{rel} (now {old.described})")
            continue
        expected = file_diff(
            rel,
            old.content if old.is_file else None,
            new.content if new.is_file else None,
            _git_mode(new if new.is_file else old),
        )
        vouched = expected in sections[header]
        if vouched and expected.endswith(" differ\n"):  # a binary file: the section says nothing of its content
            vouched = not old.is_file or _unchanged_since(folder, rel, started)
        if not vouched:
            redacted = any(_REDACTED in section for section in sections[header])
            (result.hidden if redacted else result.changed_since).append(rel)
            continue
        content = new.content if new.is_file else None
        result.changes.append(Change(rel, content, before=old, mode=new.mode, keep_mode=True))
    return result
