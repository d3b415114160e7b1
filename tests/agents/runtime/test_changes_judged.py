"""What a step changed is judged from the file system, in a repository's worktree as in a folder, and the host's
reading of it is bounded: a huge one-line file or a folder nested a thousand deep ends the step with a reason."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import git
import pytest

from interns.journal import PolicyDecision, StepFinished
from tests.agents.conftest import TaskDir
from tests.agents.runtime.test_repo_workspace import make_repo
from tests.agents.runtime.test_resume import EXIT_AWAITING_APPROVAL, cli, journal_of, run_task
from tests.security.cases_changes import CHANGES, FILES, LINE_LIMIT

pytestmark = pytest.mark.anyio

BACKENDS = ["local", "bubblewrap"]
DEEP = 1100
"""Folders nested in one another: past Python's recursion limit, as one recursive walk would be."""
BIG_LINE = 16_000_000
"""Bytes of a one-line file."""


@pytest.fixture
def repo(task_dir: TaskDir) -> Iterator[git.Repo]:
    repo = make_repo(task_dir.root / "repo")
    root = Path(repo.working_dir)
    for name, text in {**FILES, ".gitignore": "*.log\n"}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    repo.index.add([*FILES, ".gitignore"])
    repo.index.commit("files")
    yield repo
    repo.close()


def _task(
    task_dir: TaskDir, workspace: dict[str, str], backend: str, commands: tuple[str, ...], limit: int | None
) -> Path:
    guardrails: dict[str, object] = {"sandbox": backend, "write": ["src/**"]}
    if limit is not None:
        guardrails["limits"] = {"changed_lines": limit}
    task = {
        "workspace": workspace,
        "steps": [{"id": "work", "instructions": "Change things."}],
        "guardrails": guardrails,
        "review": {"retries": 0},
    }
    turns = [{"call": {"run": {"command": command}}} for command in commands]
    return task_dir.write(task, {"work": [*turns, {"final": "done"}]}, FILES)


REPO = {"repo": "repo", "base": "main"}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("name", "commands", "limit"), CHANGES, ids=[name for name, _, _ in CHANGES])
async def test_a_repository_step_is_judged_on_every_change(
    task_dir: TaskDir, repo: git.Repo, backend: str, name: str, commands: tuple[str, ...], limit: bool
) -> None:
    path = _task(task_dir, REPO, backend, commands, LINE_LIMIT if limit else None)
    result, events = await task_dir.run(path)

    assert result.status == "failed", f"{name}: the step passed the write check"
    if limit:
        assert "a step may change at most" in result.reason
    else:
        assert any(isinstance(e, PolicyDecision) and e.verdict == "deny" for e in events)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_ignored_files_are_no_change_and_work_inside_the_paths_lands(
    task_dir: TaskDir, repo: git.Repo, backend: str
) -> None:
    commands = (
        "echo built > build.log",
        "mkdir -p logs.log/deep && echo x > logs.log/deep/a",
        "echo new >> src/app.py",
    )
    result, _ = await task_dir.run(_task(task_dir, REPO, backend, commands, None))

    assert result.status == "succeeded", result.reason
    assert "new" in repo.git.show(f"interns/{result.run_id}:src/app.py")


def _ended_with(events: list[object], words: str) -> str:
    [finished] = [e for e in events if isinstance(e, StepFinished)]
    assert words in finished.reason, finished.reason
    assert "Traceback" not in finished.reason and "RecursionError" not in finished.reason
    return finished.reason


@pytest.mark.parametrize("workspace", [{"folder": "project"}, REPO], ids=["folder", "repo"])
async def test_a_folder_nested_past_the_cap_ends_the_step_with_a_reason(
    task_dir: TaskDir, repo: git.Repo, workspace: dict[str, str]
) -> None:
    nest = f"cd src && mkdir -p $(printf 'd/%.0s' $(seq {DEEP})) && echo deep"
    try:
        result, events = await task_dir.run(_task(task_dir, workspace, "bubblewrap", (nest,), None))
    finally:  # pytest's own cleanup of old temporary folders would recurse past Python's limit on what is left
        subprocess.run(["rm", "-rf", "--", str(task_dir.root)], check=True)

    assert result.status == "failed"
    _ended_with(events, "nests folders more than")


@pytest.mark.parametrize("workspace", [{"folder": "project"}, REPO], ids=["folder", "repo"])
async def test_a_huge_one_line_file_is_counted_by_its_size(
    task_dir: TaskDir, repo: git.Repo, workspace: dict[str, str]
) -> None:
    write = f"head -c {BIG_LINE} /dev/zero | tr '\\0' a > src/big.txt"
    result, events = await task_dir.run(_task(task_dir, workspace, "bubblewrap", (write,), 400))

    assert result.status == "failed"
    reason = _ended_with(events, "a step may change at most 400")
    assert f"The change is {BIG_LINE // 40} lines" in reason, "past COUNT_BYTES, counted by its size"


def test_what_a_step_changed_before_it_paused_is_judged_after_it_resumes(task_dir: TaskDir) -> None:
    script = {
        "work": [
            {"call": {"run": {"command": "printf 'x\\0y' > outside.bin"}}},
            {"call": {"run": {"command": "touch src/two.txt"}}},
            {"final": "done"},
        ]
    }
    guardrails = {"sandbox": "bubblewrap", "write": ["src/**"], "commands": {"allow": ["*"], "ask": ["touch *"]}}
    steps = [{"id": "work", "instructions": "Make two."}]
    task_dir.write({"steps": steps, "guardrails": guardrails, "review": {"retries": 0}}, script, FILES)
    assert run_task(task_dir).returncode == EXIT_AWAITING_APPROVAL
    assert cli(task_dir, "approve", "last").returncode == 0

    resumed = cli(task_dir, "resume", "last")

    assert resumed.returncode == 1, resumed.stdout + resumed.stderr
    _, events = journal_of(task_dir)
    assert any(isinstance(e, PolicyDecision) and e.verdict == "deny" and e.target == "outside.bin" for e in events)
