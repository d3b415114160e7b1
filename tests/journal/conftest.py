"""Fixtures for the journal tests: a journal root in a temporary folder and a way to start runs in it."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from interns.journal import Journal, Redactor, open_run

StartRun = Callable[..., Journal]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Where runs are journaled, as `.interns/` is in a project."""
    return tmp_path / ".interns"


@pytest.fixture
def start_run(root: Path) -> Iterator[StartRun]:
    """Start a run under `root` with plain defaults (override any `open_run` argument); closed after the test."""
    opened: list[Journal] = []

    def start(**overrides: Any) -> Journal:
        arguments: dict[str, Any] = {
            "task": "demo",
            "goal": "Show the journal works.",
            "task_text": "version: 1\nname: demo\n",
            "model": "scripted:demo.yaml",
            "workspace": "../project",
            "redactor": Redactor(),
        }
        journal = open_run(root, **(arguments | overrides))
        opened.append(journal)
        return journal

    yield start
    for journal in opened:
        journal.close()
