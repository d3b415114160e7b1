"""A git-style unified diff between two folder trees, made with difflib."""

from __future__ import annotations

import difflib
import filecmp
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

SKIPPED_NAMES = frozenset({".git", ".venv", "__pycache__", ".interns"})
"""Folder names that are never copied or compared: VCS data, environments, caches, our own runs."""


def tree_files(root: Path, skip: Iterable[str] = SKIPPED_NAMES) -> set[str]:
    """Relative POSIX paths of the files (and symlinks) under root, leaving out skipped folders."""
    skipped = set(skip)
    found: set[str] = set()
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        links = [d for d in dirs if (here / d).is_symlink()]  # a link to a folder is compared as a link
        dirs[:] = [d for d in dirs if d not in skipped and d not in links]
        rel = here.relative_to(root)
        found.update((rel / name).as_posix() for name in [*files, *links] if name not in skipped)
    return found


def git_mode(path: Path) -> str:
    """The git file mode of path: symlink, executable or plain file."""
    if path.is_symlink():
        return "120000"
    return "100755" if path.stat().st_mode & 0o111 else "100644"


def file_content(path: Path) -> bytes | None:
    """What a diff compares: a symlink's target, a file's bytes, or None when it is absent."""
    if path.is_symlink():
        return os.readlink(path).encode()
    if path.is_file():
        return path.read_bytes()
    return None


def same_file(old: Path, new: Path) -> bool:
    """Whether two files (or symbolic links) hold the same content."""
    if old.is_symlink() or new.is_symlink():
        return file_content(old) == file_content(new)
    return filecmp.cmp(old, new, shallow=False)


def _lines(data: bytes) -> list[str] | None:
    """Text lines with their endings, or None for binary data."""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def _hunks(old: list[str], new: list[str], old_name: str, new_name: str) -> Iterator[str]:
    for line in difflib.unified_diff(old, new, old_name, new_name, n=3):
        yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


def file_diff(rel: str, old: bytes | None, new: bytes | None, mode: str = "100644") -> str:
    """The git-style diff of one file from `old` to `new` content (None: the file is absent on that side)."""
    header = [f"diff --git a/{rel} b/{rel}\n"]
    if old is None:
        header.append(f"new file mode {mode}\n")
    elif new is None:
        header.append(f"deleted file mode {mode}\n")
    old_name = f"a/{rel}" if old is not None else "/dev/null"
    new_name = f"b/{rel}" if new is not None else "/dev/null"
    old_lines, new_lines = _lines(old or b""), _lines(new or b"")
    if old_lines is None or new_lines is None:
        return "".join([*header, f"Binary files {old_name} and {new_name} differ\n"])
    return "".join([*header, *_hunks(old_lines, new_lines, old_name, new_name)])


def tree_diff(old_root: Path, new_root: Path, skip: Iterable[str] = SKIPPED_NAMES) -> str:
    """Unified diff of every added, removed and changed file from old_root to new_root, paths relative to the roots."""
    old_files, new_files = tree_files(old_root, skip), tree_files(new_root, skip)
    parts = []
    for rel in sorted(old_files | new_files):
        old_path, new_path = old_root / rel, new_root / rel
        if rel in old_files and rel in new_files and same_file(old_path, new_path):
            continue
        old = file_content(old_path) if rel in old_files else None
        new = file_content(new_path) if rel in new_files else None
        parts.append(file_diff(rel, old, new, git_mode(new_path if new is not None else old_path)))
    return "".join(parts)
