"""`interns init` gives a person a commented task file for each kind of workflow; `interns new` starts from an
example."""

from __future__ import annotations

from pathlib import Path

from interns import tasks
from tests.agents.cli.test_cli import interns


def test_init_writes_task_files_that_load_and_keeps_what_is_there(tmp_path: Path) -> None:
    mine = tmp_path / "tasks" / "fix-tests.yaml"
    mine.parent.mkdir()
    mine.write_text("my own\n")

    made = interns("init", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    files = sorted((tmp_path / "tasks").glob("*.yaml"))
    assert {f.name for f in files} >= {
        "notes-to-post.yaml",
        "weekly-report.yaml",
        "meta-review.yaml",
        "inbox-triage.yaml",
    }
    assert mine.read_text() == "my own\n" and "kept" in made.stdout
    kinds: set[str] = set()
    for file in files:
        if file == mine:
            continue
        text = file.read_text()
        assert text.startswith("#"), f"{file.name} explains itself in a comment first"
        spec = tasks.load(file)  # valid as shipped; only its paths need editing
        kinds.add("repo" if hasattr(spec.workspace, "repo") else "folder")
        assert spec.manual_minutes, f"{file.name} shows how to state the time it saves"
    assert kinds == {"folder"}, "the repository template was kept as the person wrote it"
    assert any(s.input and s.output for s in tasks.load(tmp_path / "tasks" / "notes-to-post.yaml").steps)


def test_new_copies_an_example_under_a_new_name(tmp_path: Path) -> None:
    made = interns("new", "my-fix", "--from", "fix-failing-test", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    task = tmp_path / "tasks" / "my-fix" / "task.yaml"
    assert tasks.load(task).name == "my-fix"
    assert (tmp_path / "tasks" / "my-fix" / "project").is_dir(), "the sample data came along"
    checked = interns("check", str(task), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    again = interns("new", "my-fix", "--from", "fix-failing-test", cwd=tmp_path)
    assert again.returncode == 2 and "exists" in again.stderr
    unknown = interns("new", "x", "--from", "no-such-example", cwd=tmp_path)
    assert unknown.returncode == 2 and "fix-failing-test" in unknown.stderr
