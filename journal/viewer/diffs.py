"""Diffs for the viewer: the files a run's final diff changes, its text in a bounded size, and a step's own edits."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DIFF_TEXT_LIMIT = 2_000_000
"""Bytes of a final diff sent to the page; a longer one is cut, saying where the whole file is."""
STATS_FILES_KEPT = 500


@dataclass
class DiffStats:
    """The files a unified diff changes, with lines added and removed, for one version of the file."""

    identity: tuple[int, int] = (-1, -1)
    """The file's size and modification time when counted, so a rewritten diff is counted again."""
    files: list[dict[str, Any]] = field(default_factory=list)
    file_count: int = 0
    added: int = 0
    removed: int = 0
    size: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready values."""
        return {
            "files": self.files,
            "file_count": self.file_count,
            "added": self.added,
            "removed": self.removed,
            "size": self.size,
        }


def diff_stats(path: Path, cached: DiffStats | None = None) -> DiffStats:
    """Count the files and lines the diff at `path` changes, reading it line by line; `cached` if unchanged since."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return DiffStats()
    identity = (stat.st_size, stat.st_mtime_ns)
    if cached is not None and cached.identity == identity:
        return cached
    stats = DiffStats(identity=identity, size=stat.st_size)
    current: dict[str, Any] | None = None
    with path.open("rb") as file:
        for raw in file:
            line = raw.decode("utf-8", "replace")
            if line.startswith("diff --git "):
                current = {"path": _path_of(line), "added": 0, "removed": 0}
                stats.file_count += 1
                if len(stats.files) < STATS_FILES_KEPT:
                    stats.files.append(current)
            elif current is None:
                continue
            elif line.startswith("+++ ") and line[4:].strip() != "/dev/null":
                current["path"] = line[4:].strip().removeprefix("b/")
            elif line.startswith("+") and not line.startswith("+++ "):
                current["added"] += 1
                stats.added += 1
            elif line.startswith("-") and not line.startswith("--- "):
                current["removed"] += 1
                stats.removed += 1
    return stats


def _shifted(line: str, shift: int) -> str:
    """A hunk header moved down `shift` lines (a snippet's numbers made the file's); any other line as it is."""
    match = HUNK.match(line) if shift else None
    if match is None:
        return line
    old, old_len, new, new_len = match.groups()
    start = f"@@ -{int(old) + shift}{old_len or ''} +{int(new) + shift}{new_len or ''} @@"
    return start + line[match.end() :]


def _path_of(header: str) -> str:
    """The new path in a `diff --git a/X b/Y` line (Y), good enough for display."""
    rest = header[len("diff --git ") :].strip()
    cut = rest.rfind(" b/")
    return rest[cut + 3 :] if cut >= 0 else rest


def diff_text(path: Path, limit: int = DIFF_TEXT_LIMIT) -> dict[str, Any]:
    """The diff at `path`, cut at `limit` bytes (at a line's end), saying whether it was cut and its full size."""
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        return {"text": "", "size": 0, "truncated": False, "exists": False, "path": str(path)}
    with path.open("rb") as file:
        data = file.read(limit)
    truncated = size > limit
    if truncated and b"\n" in data:
        data = data[: data.rfind(b"\n") + 1]
    return {
        "text": data.decode("utf-8", "replace"),
        "size": size,
        "truncated": truncated,
        "exists": True,
        "path": str(path),
    }


HUNK = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@")


def edit_diff(tool: str, args: dict[str, Any], line: int | None = None) -> str:
    """A unified diff of one write or edit call as the worker made it: the snippet replaced (numbered from `line`,
    where it began in the file, when known), or the file written."""
    path = str(args.get("path") or "?")
    head = f"diff --git a/{path} b/{path}\n"
    if tool == "edit":
        old, new = str(args.get("old") or ""), str(args.get("new") or "")
        lines = difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}", n=3
        )
        shift = line - 1 if isinstance(line, int) and line > 0 else 0
        body = "".join(_shifted(text, shift) if text.endswith("\n") else _shifted(text, shift) + "\n" for text in lines)
        return head + body
    content = str(args.get("content") or "")
    rows = content.splitlines()
    added = "".join(f"+{row}\n" for row in rows)
    return f"{head}--- a/{path}\n+++ b/{path}\n@@ -0,0 +1,{len(rows)} @@ the whole file, as written\n{added}"
