"""A supervisor model that gives no usable answer ends a run with a reason, never a traceback."""

from __future__ import annotations

import pytest

from interns.journal import CheckResult, RunFinished
from tests.agents.conftest import TaskDir
from tests.agents.runtime.test_resume import run_task

WORK = {"work": [{"call": {"write": {"path": "out.md", "content": "text\n"}}}, {"final": "done"}]}


def test_a_review_with_no_verdict_fails_the_run_cleanly(task_dir: TaskDir) -> None:
    task = {"steps": [{"id": "work", "instructions": "Write."}], "guardrails": {"sandbox": "local"}}
    # a plain text answer is not a verdict, and the scripted reviewer has nothing else to say
    task_dir.write({**task, "review": {"supervisor": True}}, {**WORK, "work.review": [{"final": "no verdict here"}]})
    run = run_task(task_dir)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert "the supervisor's model failed" in run.stdout


@pytest.mark.anyio
async def test_a_rubric_judge_with_no_verdict_fails_the_check_not_the_run(task_dir: TaskDir) -> None:
    step = {"id": "work", "instructions": "Write.", "output": "out.md", "done_when": [{"rubric": "It is good."}]}
    script = {**WORK, "work.rubric": [{"final": "no verdict here"}]}
    path = task_dir.write({"steps": [step], "guardrails": {"sandbox": "local"}, "review": {"retries": 0}}, script)
    result, events = await task_dir.run(path)
    assert result.status == "failed", result.reason
    [check] = [e for e in events if isinstance(e, CheckResult) and e.kind == "rubric"]
    assert not check.passed and "gave no verdict" in " ".join(check.findings)
    assert isinstance(events[-1], RunFinished)
