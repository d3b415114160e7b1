"""Tool calls a model sends in one turn run side by side, yet calls on the same file lose no work."""

from __future__ import annotations

import pytest

from interns.journal import ToolCall
from tests.agents.conftest import BACKENDS, TaskDir

pytestmark = pytest.mark.anyio

EDITS = 24


@pytest.mark.parametrize("backend", BACKENDS)
async def test_many_edits_of_one_file_in_one_turn_all_survive(task_dir: TaskDir, backend: str) -> None:
    lines = "".join(f"line-{n}: old\n" for n in range(EDITS))
    edits = [{"edit": {"path": "notes.txt", "old": f"line-{n}: old", "new": f"line-{n}: new"}} for n in range(EDITS)]
    appends = [{"run": {"command": f"echo appended-{n} >> log.txt"}} for n in range(8)]
    task = task_dir.write(
        {
            "steps": [{"id": "work", "instructions": "Edit every line."}],
            "guardrails": {"sandbox": backend, "limits": {"calls_per_turn": 40}},
        },
        {"work": [{"calls": [*edits, *appends]}, {"final": "done"}]},
        {"notes.txt": lines, "log.txt": ""},
    )

    result, events = await task_dir.run(task)

    assert result.status == "succeeded", result.reason
    edited = [e for e in events if isinstance(e, ToolCall) and e.tool == "edit"]
    assert len(edited) == EDITS and all(e.ok for e in edited)
    worked = task_dir.runs / "runs" / result.run_id / "workspace"
    assert (worked / "notes.txt").read_text() == "".join(f"line-{n}: new\n" for n in range(EDITS))
    assert sorted((worked / "log.txt").read_text().split()) == sorted(f"appended-{n}" for n in range(8))


@pytest.mark.parametrize("backend", ["local"])
async def test_whole_file_writes_in_one_turn_leave_one_of_them_whole(task_dir: TaskDir, backend: str) -> None:
    texts = [f"version {n}\n" * 2000 for n in range(10)]
    task = task_dir.write(
        {
            "steps": [{"id": "work", "instructions": "Write it."}],
            "guardrails": {"sandbox": backend, "limits": {"calls_per_turn": 40}},
        },
        {"work": [{"calls": [{"write": {"path": "out.txt", "content": t}} for t in texts]}, {"final": "done"}]},
    )

    result, _ = await task_dir.run(task)

    assert result.status == "succeeded", result.reason
    written = (task_dir.runs / "runs" / result.run_id / "workspace" / "out.txt").read_text()
    assert written in texts
