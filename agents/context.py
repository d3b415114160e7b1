"""Gathering the files a task's context names, for the worker's prompt."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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


def workspace_files(root: Path, patterns: list[str]) -> tuple[list[ContextFile], list[str]]:
    """Files of the workspace matching the globs (never outside it), and the patterns that matched nothing."""
    root = root.resolve()
    found: dict[str, ContextFile] = {}
    unmatched: list[str] = []
    total = 0
    for pattern in patterns:
        matched = False
        for path in sorted(root.glob(pattern)):
            real = path.resolve()
            if not path.is_file() or not real.is_relative_to(root) or ".git" in path.relative_to(root).parts:
                continue
            matched = True
            rel = path.relative_to(root).as_posix()
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
