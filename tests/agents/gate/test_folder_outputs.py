"""A folder task whose outputs go to a folder of their own: the input folder is never changed, and accepting copies
the outputs there, keeping any different file a person already has unless told --force."""

from __future__ import annotations

from pathlib import Path

from tests.agents.conftest import TaskDir
from tests.agents.runtime.test_resume import cli, run_task

SCRIPT = {
    "draft": [
        {"call": {"write": {"path": "drafts/post.md", "content": "# Post\n\nFrom the notes.\n"}}},
        {"call": {"edit": {"path": "notes.md", "old": "raw", "new": "tidied"}}},
        {"final": "drafted"},
    ]
}


def outputs_task(task_dir: TaskDir) -> Path:
    task = {
        "workspace": {"folder": "project", "outputs": {"to": "published", "files": ["drafts/**"]}},
        "steps": [{"id": "draft", "instructions": "Draft a post from the notes."}],
        "guardrails": {"sandbox": "bubblewrap"},
    }
    return task_dir.write(task, SCRIPT, {"notes.md": "raw notes\n"})


def test_accept_copies_the_outputs_and_leaves_the_input_folder_alone(task_dir: TaskDir) -> None:
    outputs_task(task_dir)
    assert run_task(task_dir).returncode == 0

    accepted = cli(task_dir, "review", "last", "--accept")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert (task_dir.root / "published" / "drafts" / "post.md").read_text() == "# Post\n\nFrom the notes.\n"
    assert not (task_dir.root / "published" / "notes.md").exists(), "a changed input is not an output"
    assert (task_dir.project / "notes.md").read_text() == "raw notes\n", "the input folder changed"


def test_a_different_file_already_there_is_kept_unless_forced(task_dir: TaskDir) -> None:
    outputs_task(task_dir)
    mine = task_dir.root / "published" / "drafts" / "post.md"
    mine.parent.mkdir(parents=True)
    mine.write_text("my own edits\n")
    assert run_task(task_dir).returncode == 0

    refused = cli(task_dir, "review", "last", "--accept")
    assert refused.returncode == 1 and "--force" in refused.stderr and str(mine) in refused.stderr
    assert mine.read_text() == "my own edits\n"

    forced = cli(task_dir, "review", "last", "--accept", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert mine.read_text() == "# Post\n\nFrom the notes.\n"
