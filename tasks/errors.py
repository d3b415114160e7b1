"""Problems found in a task file, and the one error that carries them all.

`TaskFileError(ValueError)` is raised by `tasks.load` and `tasks.load_text`; its `.problems` lists every `Problem`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from interns.errors import TaskError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a task file, with where it is: file, line (1-based) and field path."""

    file: Path
    line: int | None
    """1-based line; None when the problem concerns the whole file (it is missing, unreadable, empty)."""
    field: str
    """Dotted field path such as `steps[1].needs[0]`; empty when no single field is at fault."""
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else str(self.file)
        if self.field:
            return f"{where}: {self.field}: {self.message}"
        return f"{where}: {self.message}"


def field_path(path: Iterable[object]) -> str:
    """A path into the task data written as a reader expects: `("steps", 1, "needs", 0)` → `steps[1].needs[0]`."""
    text = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """The problems in reading order: whole-file ones first, then by line, then by field."""
    return sorted(problems, key=lambda p: (p.line if p.line is not None else 0, p.field, p.message))


class TaskFileError(TaskError, ValueError):
    """A task file could not be loaded; `problems` says every reason, each with its file and line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted_problems(problems)
        if not self.problems:
            raise ValueError("TaskFileError needs at least one problem")
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
