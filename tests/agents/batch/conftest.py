"""A notes task that takes its folder as a parameter, folders of notes to run it on, and the `interns` CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

NOTES_TASK = """\
version: 1
name: summarise-notes
goal: Summarise the notes in {{ notes_folder }}.
params:
  notes_folder: {type: path, description: the folder of one week's notes}
  style: {default: plain}
workspace: {folder: "{{ notes_folder }}"}
steps:
  - id: sum
    instructions: Write a {{ style }} summary of notes.txt to summary.md.
    tools: [read, write, run]
    output: summary.md
    done_when: ["grep -q ok notes.txt", "test -s summary.md"]
guardrails: {sandbox: bubblewrap, limits: {turns: 4, minutes: 2}}
review: {retries: 0, supervisor: false}
"""
"""A run passes where the notes say `ok` and the worker wrote a summary: so a batch over weeks has rows that pass
and rows that fail, and an eval a model that passes and one that does not."""

SCRIPT = {"sum": [{"call": {"write": {"path": "summary.md", "content": "A summary.\n"}}}, {"final": "written"}]}
SLOW_SCRIPT = {"sum": [{"call": {"run": {"command": "sleep 6"}}}, *SCRIPT["sum"]]}
"""The good model, taking a few seconds first: long enough to stop a node under it."""
LAZY_SCRIPT = {"sum": [{"final": "Nothing to do."}]}
"""A model that writes no summary, so its runs fail the task's check."""


@dataclass
class NotesBatch:
    """A task file, its script, a folder of weekly notes folders and a journal root, all under one tmp folder."""

    root: Path

    @property
    def task(self) -> Path:
        return self.root / "task.yaml"

    @property
    def script(self) -> Path:
        return self.root / "script.yaml"

    @property
    def runs(self) -> Path:
        return self.root / "journal"

    def weeks(self, *notes: str) -> list[Path]:
        """One folder of notes per text, `notes/week-N/notes.txt`."""
        folders = []
        for number, text in enumerate(notes, start=1):
            folder = self.root / "notes" / f"week-{number}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "notes.txt").write_text(text)
            folders.append(folder)
        return folders

    @property
    def env(self) -> dict[str, str]:
        """The environment `interns` runs in: no model keys, a wide terminal, journals under `runs`."""
        env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
        return {**env, "COLUMNS": "200", "INTERNS_HOME": str(self.runs)}

    def interns(
        self, *args: str, timeout: float = 400, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """The `interns` command line in a child process, in the tmp folder, journaling under `runs`."""
        argv = [sys.executable, "-m", "interns", *args]
        environ = {**self.env, **(env or {})}
        return subprocess.run(argv, cwd=self.root, env=environ, capture_output=True, text=True, timeout=timeout)

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """`interns` started in a session of its own (so it and its children can be killed at once), output dropped."""
        argv = [sys.executable, "-m", "interns", *args]
        quiet, environ = subprocess.DEVNULL, {**self.env, **(env or {})}
        return subprocess.Popen(argv, cwd=self.root, env=environ, stdout=quiet, stderr=quiet, start_new_session=True)


@pytest.fixture
def notes_batch(tmp_path: Path) -> NotesBatch:
    """The notes task and its script written into tmp_path."""
    made = NotesBatch(tmp_path)
    made.task.write_text(NOTES_TASK)
    made.script.write_text(yaml.safe_dump(SCRIPT))
    (tmp_path / "lazy.yaml").write_text(yaml.safe_dump(LAZY_SCRIPT))
    (tmp_path / "slow.yaml").write_text(yaml.safe_dump(SLOW_SCRIPT))
    return made
