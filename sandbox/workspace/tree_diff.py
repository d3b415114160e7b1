"""Diff text for a person to read (and `git apply` to replay), made from a list of changes, linear and capped.

What a step changed is judged from `changes`, never from this text. Names are quoted the way git quotes them
(C-style escapes), so a name with a tab, a quote or a control character cannot forge a line. A file whose content
cannot be shown (binary, past `COUNT_BYTES`, gone, or past the diff's `max_bytes` in all) gets git's own "Binary
files ... differ" line, which `git apply` refuses: a diff cut short never replays partly. A text file of more
than `EXACT_LINES` lines on a side, or past the diff's `EXACT_PAIRS` in all, is shown replaced whole rather than
diffed line by line (difflib is quadratic at worst: the pairs of lines it may compare are bounded).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path

from interns.sandbox.workspace.changes import Change, compare_folders
from interns.sandbox.workspace.line_count import COUNT_BYTES
from interns.sandbox.workspace.snapshot import Snapshot
from interns.sandbox.workspace.tree_scan import DEFAULT_CAPS, Caps, Entry, read_bytes

__all__ = ["DIFF_BYTES", "EXACT_LINES", "EXACT_PAIRS", "git_quote", "render_diff", "tree_diff"]

DIFF_BYTES = 32 << 20
"""The most text a diff holds; files past it are named, not shown."""
EXACT_LINES = 2000
"""Files with more lines than this on a side are shown replaced whole."""
EXACT_PAIRS = 20_000_000
"""Old-line-by-new-line pairs all the files diffed line by line may hold together."""


def git_quote(name: str) -> str:
    """A path as git writes it in a diff header: as is, or in double quotes with C-style escapes."""
    raw = name.encode("utf-8", "surrogateescape")
    if all(0x20 <= byte < 0x7F and byte not in b'"\\' for byte in raw):
        return name
    escapes = {ord("\t"): "\\t", ord("\n"): "\\n", ord('"'): '\\"', ord("\\"): "\\\\"}
    quoted = (escapes.get(byte) or (chr(byte) if 0x20 <= byte < 0x7F else f"\\{byte:03o}") for byte in raw)
    return '"' + "".join(quoted) + '"'


def _mode(entry: Entry) -> str:
    if entry.type == "symlink":
        return "120000"
    return "100755" if entry.executable else "100644"


def _text(data: bytes | None) -> list[str] | None:
    if data is None or b"\0" in data or len(data) > COUNT_BYTES:
        return None
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def _hunks(old: list[str], new: list[str], old_name: str, new_name: str, pairs: list[int]) -> Iterator[str]:
    if max(len(old), len(new)) <= EXACT_LINES and len(old) * len(new) <= pairs[0]:
        pairs[0] -= len(old) * len(new)
        lines: Iterator[str] = difflib.unified_diff(old, new, old_name, new_name, n=3)
    else:
        lines = iter([f"--- {old_name}\n", f"+++ {new_name}\n", f"@@ -1,{len(old)} +1,{len(new)} @@\n"])
        lines = iter([*lines, *("-" + line for line in old), *("+" + line for line in new)])
    for line in lines:
        yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


def _section(
    path: str, old: Entry | None, new: Entry | None, before: bytes | None, after: bytes | None, pairs: list[int]
) -> str:
    """One file's diff: `old` None for a file added, `new` None for one deleted."""
    a, b = git_quote("a/" + path), git_quote("b/" + path)
    header = [f"diff --git {a} {b}\n"]
    if old is None and new is not None:
        header.append(f"new file mode {_mode(new)}\n")
    elif new is None and old is not None:
        header.append(f"deleted file mode {_mode(old)}\n")
    elif old is not None and new is not None and _mode(old) != _mode(new):
        header += [f"old mode {_mode(old)}\n", f"new mode {_mode(new)}\n"]
        if old.sha256 == new.sha256 and old.size == new.size:
            return "".join(header)
    old_name, new_name = (a if old else "/dev/null"), (b if new else "/dev/null")
    old_lines = _text(before) if old else []
    new_lines = _text(after) if new else []
    if old_lines is None or new_lines is None or "special" in (getattr(old, "type", ""), getattr(new, "type", "")):
        return "".join([*header, f"Binary files {old_name} and {new_name} differ\n"])
    return "".join([*header, *_hunks(old_lines, new_lines, old_name, new_name, pairs)])


def _sides(change: Change) -> list[tuple[Entry | None, Entry | None]]:
    """The (old, new) sections a change shows as: a type change is a deletion and an addition; folders show none."""
    old = change.old if change.old is not None and change.old.type != "dir" else None
    new = change.new if change.new is not None and change.new.type != "dir" else None
    if change.kind == "type_changed":
        return [(side, None) for side in [old] if side] + [(None, side) for side in [new] if side]
    return [(old, new)] if old or new else []


def render_diff(changes: list[Change], before: Snapshot, root: Path, max_bytes: int = DIFF_BYTES) -> str:
    """The git-style diff of the changes, old contents read through the snapshot and new ones under root."""
    olds = dict(before.old_contents([c.path for c in changes if c.old is not None and c.old.type != "dir"]))
    parts: list[str] = []
    used, pairs = 0, [EXACT_PAIRS]
    for change in changes:
        for old, new in _sides(change):
            old_data = olds.get(change.path) if old else b""
            new_data = read_bytes(root, change.path, new, COUNT_BYTES) if new else b""
            if used + (old.size if old else 0) + (new.size if new else 0) > max_bytes:
                old_data = new_data = None  # past the cap: named, not shown
            part = _section(change.path, old, new, old_data, new_data, pairs)
            used += len(part)
            parts.append(part)
    return "".join(parts)


def tree_diff(old_root: Path, new_root: Path, caps: Caps = DEFAULT_CAPS) -> str:
    """The diff of every added, removed and changed file from old_root to new_root, paths relative to the roots."""
    before, changes = compare_folders(old_root, new_root, caps)
    return render_diff(changes, before, new_root)
