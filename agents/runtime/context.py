"""Gathering the files a task's context names, for the worker's prompt."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from interns.sandbox import InputView

__all__ = ["ContextFile", "exemplar_files", "workspace_files"]

FILE_LIMIT = 20_000
"""Characters of one file shown in a prompt."""
TOTAL_LIMIT = 100_000
"""Characters of all context files together."""


@dataclass(frozen=True)
class ContextFile:
    """A file shown to the worker: its display path and (possibly clipped) text."""

    path: str
    text: str


def _clip(text: str) -> str:
    return text if len(text) <= FILE_LIMIT else text[:FILE_LIMIT] + f"\n[... {len(text) - FILE_LIMIT} more characters]"


def _read(path: Path, shown_as: str) -> ContextFile | None:
    try:
        return ContextFile(shown_as, _clip(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return None


def _matches(root: Path, pattern: str, view: InputView | None) -> list[tuple[str, Path, Path]]:
    """(relative path, host path, root it must stay in) of each file the glob matches, inputs included."""
    roots = [root] if view is None else [view.path, view.source]
    found = []
    for base in roots:
        base = base.resolve()
        for path in base.glob(pattern):
            rel = path.relative_to(base).as_posix()
            if view is None or view.owner(rel) == base:  # the sandbox shows an input over its mount point
                found.append((rel, path, base))
    return sorted(found)


def workspace_files(
    root: Path, patterns: list[str], view: InputView | None = None
) -> tuple[list[ContextFile], list[str]]:
    """Files of the workspace (its read-only inputs too) matching the globs, never outside it; and unmatched globs."""
    found: dict[str, ContextFile] = {}
    unmatched: list[str] = []
    total = 0
    for pattern in patterns:
        matched = False
        for rel, path, base in _matches(root, pattern, view):
            real = path.resolve()
            if not path.is_file() or not real.is_relative_to(base) or ".git" in rel.split("/"):
                continue
            matched = True
            if rel in found or total >= TOTAL_LIMIT:
                continue
            if (file := _read(real, rel)) is not None:
                found[rel] = file
                total += len(file.text)
        if not matched:
            unmatched.append(pattern)
    return list(found.values()), unmatched


def exemplar_files(paths: list[str]) -> list[ContextFile]:
    """The exemplar files the task names (absolute paths, resolved when the task was loaded)."""
    files = []
    for raw in paths:
        path = Path(raw)
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for candidate in candidates:
            if (file := _read(candidate, candidate.name)) is not None:
                files.append(file)
    return files
