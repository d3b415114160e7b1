"""A folder task with outputs on an isolating sandbox: the inputs are shown read-only, never copied, and the run's
folder holds only what the run wrote."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from interns.agents.policy.decisions import Policy
from interns.journal import CommandRun, Notice, StepStarted, ToolCall
from interns.sandbox import InputView
from interns.tasks.spec import Guardrails
from tests.agents.conftest import BACKENDS, TaskDir
from tests.agents.runtime.test_resume import ASK_TOUCH, EXIT_AWAITING_APPROVAL, TWO_STEPS, cli, journal_of, run_task

INPUT_FILES = 2000

SCRIPT = {
    "summarize": [
        {"call": {"read": {"path": "notes.md"}}},
        {"call": {"read": {"path": "data/f1999.txt"}}},
        {"call": {"write": {"path": "out/summary.md", "content": "# Summary\n\nrow 1999\n"}}},
        {"call": {"run": {"command": "echo overwritten > notes.md"}}},
        {"call": {"write": {"path": "data/f0001.txt", "content": "overwritten\n"}}},
        {"final": "summarized"},
    ]
}


def large_folder_task(task_dir: TaskDir, backend: str) -> Path:
    files = {f"data/f{i:04d}.txt": f"row {i}\n" for i in range(INPUT_FILES)}
    task = {
        "workspace": {"folder": "project", "outputs": {"to": "published", "files": ["out/**"]}},
        "context": {"files": ["notes.md"]},
        "steps": [{"id": "summarize", "instructions": "Summarize the notes and the data."}],
        "guardrails": {"sandbox": backend, "commands": {"allow": ["*"]}},
    }
    return task_dir.write(task, SCRIPT, {"notes.md": "raw notes\n", **files})


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.anyio
@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "local"])
async def test_a_large_folder_is_read_in_place_and_only_the_outputs_are_kept(task_dir: TaskDir, backend: str) -> None:
    task = large_folder_task(task_dir, backend)
    before = snapshot(task_dir.project)

    result, events = await task_dir.run(task)

    assert result.status == "succeeded", result.reason
    [started] = [e for e in events if isinstance(e, StepStarted)]
    assert "raw notes" in started.prompt, "the context file, an input, is not in the prompt"
    calls = [e for e in events if isinstance(e, ToolCall)]
    reads = [c for c in calls if c.tool == "read"]
    assert [c.ok for c in reads] == [True, True] and "row 1999" in reads[1].result, reads
    [overwrite] = [e for e in events if isinstance(e, CommandRun) and "overwritten" in e.argv[-1]]
    assert overwrite.exit_code != 0 and "read-only" in overwrite.stderr.lower(), overwrite
    [refused_write] = [c for c in calls if c.tool == "write" and c.args["path"] == "data/f0001.txt"]
    assert not refused_write.ok, refused_write
    assert snapshot(task_dir.project) == before, "an input changed"

    workspace = result.run_dir / "workspace"
    kept = sorted(p.relative_to(workspace).as_posix() for p in workspace.rglob("*"))
    assert kept == ["out", "out/summary.md"], "the run's folder holds more than the output (a copy, or mount points)"
    final = (result.run_dir / "final.diff").read_text()
    assert "b/out/summary.md" in final and final.count("diff --git") == 1, final
    assert not [e for e in events if isinstance(e, Notice) and "full copy" in e.message]

    accepted = cli(task_dir, "review", "last", "--accept")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    published = task_dir.root / "published"
    assert snapshot(published) == {"out/summary.md": b"# Summary\n\nrow 1999\n"}


@pytest.mark.anyio
async def test_the_local_sandbox_says_it_copies_the_folder(task_dir: TaskDir) -> None:
    task = {
        "workspace": {"folder": "project", "outputs": {"to": "published", "files": ["out/**"]}},
        "steps": [{"id": "summarize", "instructions": "Summarize."}],
        "guardrails": {"sandbox": "local"},
    }
    script = {"summarize": [{"final": "nothing to do"}]}
    result, events = await task_dir.run(task_dir.write(task, script, {"notes.md": "raw notes\n"}))
    assert result.status == "succeeded", result.reason
    notices = [e for e in events if isinstance(e, Notice) and "full copy" in e.message]
    assert len(notices) == 1, notices
    assert (result.run_dir / "workspace" / "notes.md").read_text() == "raw notes\n"


def test_the_policy_judges_an_input_where_it_is_and_refuses_a_link_out(tmp_path: Path) -> None:
    inputs, outside = tmp_path / "inputs", tmp_path / "secret.txt"
    (inputs / "docs").mkdir(parents=True)
    (inputs / "docs" / "a.md").write_text("a\n")
    outside.write_text("secret\n")
    os.symlink(outside, inputs / "docs" / "leak.md")
    os.symlink("a.md", inputs / "docs" / "same.md")
    view = InputView.create(inputs, tmp_path / "run" / "workspace")
    policy = Policy(Guardrails(read=["**"], write=["**"]), ["read", "write"], view.path, view)

    assert policy.check_read("docs/a.md").verdict == "allow"
    assert policy.check_read("docs/same.md").verdict == "allow"
    leak = policy.check_read("docs/leak.md")
    assert (leak.verdict, leak.rule) == ("deny", "workspace boundary"), leak
    assert policy.check_write("out/new.md").verdict == "allow"


def test_a_paused_run_goes_on_over_the_same_inputs(task_dir: TaskDir) -> None:
    script = {
        "first": [{"call": {"write": {"path": "out/one.txt", "content": "1\n"}}}, {"final": "made one"}],
        "second": [
            {"call": {"run": {"command": "touch out/two.txt"}}},
            {"call": {"run": {"command": "cat notes.md out/one.txt > out/both.txt"}}},
            {"final": "made two"},
        ],
    }
    task = {
        "workspace": {"folder": "project", "outputs": {"to": "published", "files": ["out/**"]}},
        "steps": TWO_STEPS,
        "guardrails": ASK_TOUCH,
    }
    task_dir.write(task, script, {"notes.md": "raw notes\n"})
    assert run_task(task_dir).returncode == EXIT_AWAITING_APPROVAL
    assert cli(task_dir, "approve", "last").returncode == 0

    resumed = cli(task_dir, "resume", "last")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    run_dir, _ = journal_of(task_dir)
    workspace = run_dir / "workspace"
    assert sorted(p.relative_to(workspace).as_posix() for p in workspace.rglob("*")) == [
        "out",
        "out/both.txt",
        "out/one.txt",
        "out/two.txt",
    ]
    assert (workspace / "out" / "both.txt").read_text() == "raw notes\n1\n"
    assert (run_dir / "final.diff").read_text().count("diff --git") == 3


@pytest.mark.anyio
@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "local"])
async def test_a_stage_writes_its_output_inside_an_input_folder_which_stays_read_only(
    task_dir: TaskDir, backend: str
) -> None:
    task = {
        "workspace": {"folder": "project", "outputs": {"to": "published", "files": ["raw/draft_*.md"]}},
        "steps": [{"id": "draft", "instructions": "Draft.", "input": "raw/speech.txt", "output": "raw/draft_v1.md"}],
        "guardrails": {"sandbox": backend, "commands": {"allow": ["*"]}},
        "review": {"retries": 0},
    }
    script = {
        "draft": [
            {"call": {"read": {"path": "raw/speech.txt"}}},
            {"call": {"run": {"command": "echo gone > raw/speech.txt; rm -f raw/sub/deep.txt; ls raw"}}},
            {"call": {"write": {"path": "raw/draft_v1.md", "content": "# Draft\n\nspoken words\n"}}},
            {"final": "drafted"},
        ]
    }
    files = {"raw/speech.txt": "spoken words\n", "raw/sub/deep.txt": "deep\n", "other.md": "other\n"}
    path = task_dir.write(task, script, files)
    before = snapshot(task_dir.project)

    result, events = await task_dir.run(path)

    assert result.status == "succeeded", result.reason
    [attack] = [e for e in events if isinstance(e, CommandRun) and "gone" in e.argv[-1]]
    assert "read-only" in attack.stderr.lower() and "speech.txt" in attack.stdout, attack
    assert snapshot(task_dir.project) == before, "an input changed"
    final = (result.run_dir / "final.diff").read_text()
    assert "b/raw/draft_v1.md" in final and final.count("diff --git") == 1, final
    accepted = cli(task_dir, "review", "last", "--accept")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert snapshot(task_dir.root / "published") == {"raw/draft_v1.md": b"# Draft\n\nspoken words\n"}
