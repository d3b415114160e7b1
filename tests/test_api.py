"""The public Python API: a run is a library call, and every error raised on purpose says who must act."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import shutil
from pathlib import Path

import pytest

import interns
from interns.errors import EnvironmentProblem, InternsError, RunError, TaskError
from interns.journal import RunStore
from tests.agents.conftest import EXAMPLE


@pytest.fixture
def example(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "example")
    return tmp_path / "example"


def test_the_public_names_are_the_intended_ones() -> None:
    assert set(interns.__all__) == {
        "EnvironmentProblem", "InternsError", "RunError", "RunResult", "Runner", "TaskError",
        "resume_run", "retry_run", "run_task",
    }  # fmt: skip
    assert all(getattr(interns, name).__doc__ for name in interns.__all__)


def test_run_task_runs_the_example_and_journals_it(example: Path) -> None:
    runs = example / ".interns"

    result = interns.run_task(example / "task.yaml", model=f"scripted:{example / 'script.yaml'}", runs_dir=runs)

    assert result.status == "succeeded", result.reason
    assert RunStore(runs).load(result.run_id).status == "succeeded"
    assert "return a + b" in (Path(result.output) / "calc.py").read_text()


def test_retry_run_starts_a_new_run_that_names_the_one_it_retries(example: Path) -> None:
    runs, script = example / ".interns", f"scripted:{example / 'script.yaml'}"
    first = interns.run_task(example / "task.yaml", model=script, runs_dir=runs)

    again = interns.retry_run(first.run_id, "Once more, please.", runs_dir=runs)

    assert again.run_id != first.run_id and again.status == "succeeded"
    started = next(iter(RunStore(runs).events(again.run_id)))
    assert getattr(started, "retry_of", None) == first.run_id


def test_a_broken_task_file_is_the_task_authors_to_fix(tmp_path: Path) -> None:
    task = tmp_path / "task.yaml"
    task.write_text("version: 1\nname: t\n")

    with pytest.raises(TaskError) as raised:
        interns.run_task(task, runs_dir=tmp_path / "runs")

    assert str(task) in str(raised.value) and "goal" in str(raised.value)


def test_resuming_a_run_that_does_not_exist_is_a_run_error(tmp_path: Path) -> None:
    with pytest.raises(RunError, match="nosuch"):
        interns.resume_run("nosuch", runs_dir=tmp_path / "runs")


def _our_exception_classes() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    names = ["interns.errors"]
    for package in ("agents", "tasks", "sandbox", "journal", "prompts"):
        root = importlib.import_module(f"interns.{package}")
        names += [root.__name__, *(m.name for m in pkgutil.walk_packages(root.__path__, f"{root.__name__}."))]
    for name in names:
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_every_error_of_ours_is_under_one_base_and_one_branch() -> None:
    classes = _our_exception_classes()

    assert len(classes) >= 15
    for error in classes:
        branches = [b for b in (TaskError, EnvironmentProblem, RunError) if issubclass(error, b)]
        assert issubclass(error, InternsError) and (error is InternsError or len(branches) == 1), error
