"""Fixtures for runtime tests: a task folder with a project, a task file and a model script, made per test."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from interns.agents.gate.approval import Asker
from interns.agents.runtime.runner import Runner
from interns.agents.runtime.supervisor import RunResult
from interns.journal import Event, RunStore
from tests.sandbox.conftest import skip_unless_runs

EXAMPLE = Path(__file__).parents[2] / "examples" / "fix-failing-test"


def bwrap_available() -> bool:
    """Whether a bubblewrap binary can be found on this machine."""
    try:
        from interns import sandbox

        sandbox.check_backend("bubblewrap")
    except Exception:
        return False
    return True


BACKENDS = ["bubblewrap", "docker", "local"]
"""Sandbox backends the end-to-end tests run on; one missing here is skipped (failed when CI requires it)."""


@pytest.fixture(autouse=True)
def backend_runs_here(request: pytest.FixtureRequest) -> None:
    """Skip (or, where INTERNS_REQUIRE_BACKENDS names it, fail) a test whose `backend` parameter cannot run here."""
    callspec = getattr(request.node, "callspec", None)
    backend = callspec.params.get("backend") if callspec else None
    if isinstance(backend, str):
        skip_unless_runs(backend)


@dataclass
class TaskDir:
    """A folder holding a task file, its script and its project."""

    root: Path

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    def write(self, task: dict[str, Any], script: dict[str, Any], files: dict[str, str] | None = None) -> Path:
        """Write the task, its script and the project's files; return the task file's path."""
        self.project.mkdir(exist_ok=True)
        for name, text in (files or {}).items():
            (self.project / name).parent.mkdir(parents=True, exist_ok=True)
            (self.project / name).write_text(text)
        review = {"supervisor": False, **task.pop("review", {})}  # scripts review only where a test says so
        task = {"version": 1, "name": "t", "goal": "Do the thing.", "workspace": {"folder": "project"}, **task}
        task["review"] = review
        (self.root / "script.yaml").write_text(yaml.safe_dump(script))
        path = self.root / "task.yaml"
        path.write_text(yaml.safe_dump(task, sort_keys=False))
        return path

    async def run(self, task_path: Path, asker: Asker | None = None) -> tuple[RunResult, list[Event]]:
        """Run the task with its script; return the result and the journaled events."""
        runner = Runner(self.runs, asker=asker)
        supervisor = runner.start(task_path, model=f"scripted:{self.root / 'script.yaml'}")
        result = await supervisor.run()
        return result, list(RunStore(self.runs).events(result.run_id))


@pytest.fixture
def task_dir(tmp_path: Path) -> TaskDir:
    return TaskDir(tmp_path)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the shipped example, so a test run never writes next to the repository's files."""
    dest = tmp_path / "example"
    shutil.copytree(EXAMPLE, dest)
    return dest
