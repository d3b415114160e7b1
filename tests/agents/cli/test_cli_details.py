"""Small things a person meets on the command line: each one said right, with the right exit code."""

from __future__ import annotations

import shutil
from pathlib import Path

from interns.journal import RunStore
from tests.agents.cli.test_cli import interns
from tests.agents.conftest import EXAMPLE


def _example_run(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "example")
    ran = interns("run", "example/task.yaml", "--model", "scripted:example/script.yaml", cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    return tmp_path


def test_version_is_printed() -> None:
    result = interns("--version", cwd=Path.cwd())

    assert result.returncode == 0 and result.stdout.startswith("interns ")


def test_show_and_review_make_no_journal_where_there_are_no_runs(tmp_path: Path) -> None:
    for command in ("show", "review", "runs"):
        result = interns(command, cwd=tmp_path)
        assert not (tmp_path / ".interns").exists(), command
        assert command == "runs" or (result.returncode == 2 and "no runs" in result.stderr), result.stderr


def test_show_step_that_the_run_does_not_have_is_bad_input(tmp_path: Path) -> None:
    _example_run(tmp_path)

    result = interns("show", "last", "--step", "nosuch", cwd=tmp_path)

    assert result.returncode == 2
    assert "nosuch" in result.stderr and "diagnose" in result.stderr and "fix" in result.stderr


def test_show_by_step_follows_the_plans_order(tmp_path: Path) -> None:
    _example_run(tmp_path)

    result = interns("show", "last", "--by-step", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    headings = [line.split()[2] for line in result.stdout.splitlines() if line.startswith("── step ")]
    assert headings == ["diagnose", "fix"]


def test_approve_on_a_finished_run_says_there_is_nothing_to_answer(tmp_path: Path) -> None:
    _example_run(tmp_path)

    result = interns("approve", "last", cwd=tmp_path)

    assert result.returncode == 2
    assert "nothing to answer" in result.stderr and "resume" not in result.stderr


def test_check_names_the_line_of_a_workspace_that_is_not_there(tmp_path: Path) -> None:
    task = tmp_path / "task.yaml"
    task.write_text("version: 1\nname: t\ngoal: g\nworkspace:\n  folder: nowhere\n")

    result = interns("check", str(task), cwd=tmp_path)

    assert result.returncode == 2
    assert f"{task}:5: workspace.folder" in result.stderr


def test_new_rewrites_the_examples_own_paths_in_its_readme(tmp_path: Path) -> None:
    result = interns("new", "my-posts", "--from", "notes-to-blog-post", "--dir", ".", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    readme = (tmp_path / "my-posts" / "README.md").read_text()
    assert "examples/notes-to-blog-post" not in readme and "my-posts/task.yaml" in readme


def test_the_run_store_reads_nothing_into_existence(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "none")

    assert store.list() == []
    assert not (tmp_path / "none").exists()
