"""Helpers for the tasks tests: write a task file into tmp_path and read back what the loader says about it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from interns import tasks

WriteTask = Callable[..., Path]
Problems = Callable[[Path], list[tuple[int | None, str, str]]]


@pytest.fixture
def write_task(tmp_path: Path) -> WriteTask:
    """Write text (or bytes) to a task file in tmp_path and return its path."""

    def write(content: str | bytes, name: str = "task.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


@pytest.fixture
def problems() -> Problems:
    """Load a task file that must fail and return its problems as (line, field, message)."""

    def load_problems(path: Path) -> list[tuple[int | None, str, str]]:
        with pytest.raises(tasks.TaskFileError) as caught:
            tasks.load(path)
        for problem in caught.value.problems:
            assert problem.file == path
        return [(p.line, p.field, p.message) for p in caught.value.problems]

    return load_problems
