"""Loading good task files: defaults, resolved paths, and the same result from text as from a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from interns import tasks

GOOD = """\
# yaml-language-server: $schema=./task.schema.json
version: 1
name: fix-failing-tests
goal: Make the test suite pass without editing the tests.
workspace: {repo: ../my-project, base: main}
context:
  files: ["src/**/*.py"]
  notes: We use pytest.
  exemplars: [examples/good.md, ~/exemplar.md, /abs/exemplar.md]
  do_not: ["edit files under tests/"]
steps:
  - id: diagnose
    instructions: Run the tests and explain each failure.
    tools: [read, run]
  - id: fix
    needs: [diagnose]
    instructions: Fix the cause of each failure.
    done_when: ["pytest -q"]
guardrails:
  sandbox: docker
  write: ["src/**"]
  commands: {allow: ["pytest *"], ask: ["pip install *"], deny: ["git push *"]}
  limits: {turns: 12, tokens: 5000, cost_usd: 0.5, minutes: 3, changed_lines: 40}
review: {retries: 1, human: false}
workers: 2
model: scripted:scripts/fix.yaml
"""


def test_a_good_file_loads_with_its_values_and_defaults(write_task: Callable[..., Path]) -> None:
    spec = tasks.load(write_task(GOOD, "tasks/task.yaml"))

    assert spec.name == "fix-failing-tests"
    assert [step.id for step in spec.steps] == ["diagnose", "fix"]
    assert spec.steps[0].tools == ["read", "run"]
    assert spec.steps[1].tools == list(tasks.ALL_TOOLS)
    assert spec.steps[1].needs == ["diagnose"]
    assert spec.guardrails.sandbox == "docker"
    assert spec.guardrails.network is False
    assert spec.guardrails.commands.deny == ["git push *"]
    assert spec.guardrails.limits.turns == 12
    assert spec.guardrails.limits.minutes == 3.0
    assert spec.guardrails.limits.command_seconds == 300.0
    assert spec.review == tasks.Review(retries=1, human=False)
    assert spec.workers == 2


def test_relative_paths_resolve_against_the_task_files_folder(write_task: Callable[..., Path], tmp_path: Path) -> None:
    folder = (tmp_path / "tasks").resolve()

    spec = tasks.load(write_task(GOOD, "tasks/task.yaml"))

    assert isinstance(spec.workspace, tasks.RepoWorkspace)
    assert spec.workspace.repo == (tmp_path / "my-project").resolve()
    assert spec.workspace.base == "main"
    assert spec.context.exemplars == [
        str(folder / "examples" / "good.md"),
        str((Path.home() / "exemplar.md").resolve()),
        str(Path("/abs/exemplar.md").resolve()),
    ]
    assert spec.model == f"scripted:{folder / 'scripts' / 'fix.yaml'}"
    assert spec.context.files == ["src/**/*.py"], "context.files are workspace globs, never resolved"


def test_a_folder_workspace_and_a_home_relative_path(write_task: Callable[..., Path]) -> None:
    text = "version: 1\nname: notes\ngoal: Tidy.\nworkspace: {folder: ~/notes}\nmodel: anthropic:claude-sonnet-4-5\n"

    spec = tasks.load(write_task(text))

    assert spec.workspace == tasks.FolderWorkspace(folder=(Path.home() / "notes").resolve())
    assert spec.model == "anthropic:claude-sonnet-4-5", "only scripted: models name a file"


def test_load_from_a_relative_path_gives_absolute_paths(
    write_task: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_task("version: 1\nname: n\ngoal: g\nworkspace: {folder: data}\n", "sub/task.yaml")
    monkeypatch.chdir(tmp_path)

    spec = tasks.load("sub/task.yaml")

    assert isinstance(spec.workspace, tasks.FolderWorkspace)
    assert spec.workspace.folder == (tmp_path / "sub" / "data").resolve()
    assert spec.workspace.folder.is_absolute()


def test_load_text_resolves_against_the_given_path(tmp_path: Path) -> None:
    spec = tasks.load_text(GOOD, tmp_path / "elsewhere" / "task.yaml")

    assert isinstance(spec.workspace, tasks.RepoWorkspace)
    assert spec.workspace.repo == (tmp_path / "my-project").resolve()


def test_yaml_anchors_and_merge_keys_work(write_task: Callable[..., Path]) -> None:
    text = """\
version: 1
name: merged
goal: g
workspace: {folder: data}
steps:
  - id: a
    instructions: &same Do the same thing.
    done_when: &checks ["make check"]
  - id: b
    instructions: *same
    done_when: *checks
guardrails:
  limits:
    <<: {turns: 3, tokens: 10}
    tokens: 20
"""
    spec = tasks.load(write_task(text))

    assert spec.steps[1].instructions == "Do the same thing."
    assert spec.steps[1].done_when == ["make check"]
    assert (spec.guardrails.limits.turns, spec.guardrails.limits.tokens) == (3, 20)


def test_a_utf8_file_with_a_byte_order_mark_loads(write_task: Callable[..., Path]) -> None:
    text = "version: 1\nname: bom\ngoal: Écrire.\nworkspace: {folder: data}\n"

    spec = tasks.load(write_task(b"\xef\xbb\xbf" + text.encode()))

    assert spec.goal == "Écrire."


def test_the_spec_is_frozen(write_task: Callable[..., Path]) -> None:
    spec = tasks.load(write_task(GOOD))

    with pytest.raises(ValueError, match="frozen"):
        spec.name = "other"  # type: ignore[misc]
