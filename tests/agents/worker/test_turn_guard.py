"""What a real model needs from the harness: a reply's fan-out capped, its twin calls run once, loops noticed."""

from __future__ import annotations

import pytest

from interns.journal import CommandRun, StepFinished, ToolCall
from tests.agents.conftest import TaskDir

pytestmark = pytest.mark.anyio


def _task(task_dir: TaskDir, turns: list[dict[str, object]], **limits: int) -> object:
    return task_dir.write(
        {
            "steps": [{"id": "work", "instructions": "Work."}],
            "guardrails": {"sandbox": "local", "limits": limits},
            "review": {"retries": 0},
        },
        {"work": turns},
    )


async def test_identical_calls_in_one_reply_run_once(task_dir: TaskDir) -> None:
    same = {"run": {"command": "echo once >> log.txt"}}
    task = _task(task_dir, [{"calls": [same] * 34}, {"final": "done"}])

    result, events = await task_dir.run(task)

    assert result.status == "succeeded", result.reason
    assert len([e for e in events if isinstance(e, CommandRun) and e.by == "worker"]) == 1
    refused = [e for e in events if isinstance(e, ToolCall) and not e.ok]
    assert len(refused) == 33 and all("same call" in e.result for e in refused)
    assert (task_dir.runs / "runs" / result.run_id / "workspace" / "log.txt").read_text() == "once\n"


async def test_one_replys_fan_out_is_capped(task_dir: TaskDir) -> None:
    calls = [{"run": {"command": f"echo {n}"}} for n in range(12)]
    task = _task(task_dir, [{"calls": calls}, {"final": "done"}], calls_per_turn=5)

    result, events = await task_dir.run(task)

    assert result.status == "succeeded", result.reason
    ran = [e for e in events if isinstance(e, CommandRun) and e.by == "worker"]
    assert len(ran) == 5
    refused = [e for e in events if isinstance(e, ToolCall) and not e.ok]
    assert len(refused) == 7 and all("calls_per_turn" in e.result for e in refused)


async def test_the_same_call_again_and_again_is_told_then_ends_the_step_as_stuck(task_dir: TaskDir) -> None:
    again = {"call": {"run": {"command": "python3 -m unittest"}}}
    task = _task(task_dir, [again] * 10 + [{"final": "done"}], repeated_calls=3)

    result, events = await task_dir.run(task)

    assert result.status == "failed"
    finished = next(e for e in events if isinstance(e, StepFinished))
    assert finished.status == "stuck" and "python3 -m unittest" in finished.reason
    ran = [e for e in events if isinstance(e, CommandRun) and e.by == "worker"]
    assert len(ran) == 3
    told = [e for e in events if isinstance(e, ToolCall) and "same call" in e.result]
    assert told, "the model was told it repeats itself before the step ended"


async def test_the_same_call_after_a_change_is_not_a_loop(task_dir: TaskDir) -> None:
    test = {"call": {"run": {"command": "true"}}}
    touch = [{"call": {"run": {"command": f"echo {n} > f.txt"}}} for n in range(5)]
    turns = [turn for pair in zip([test] * 5, touch, strict=True) for turn in pair]
    task = _task(task_dir, [*turns, {"final": "done"}], repeated_calls=2)

    result, _ = await task_dir.run(task)

    assert result.status == "succeeded", result.reason


async def test_a_huge_file_read_reaches_the_model_clipped(task_dir: TaskDir) -> None:
    task = task_dir.write(
        {"steps": [{"id": "work", "instructions": "Read."}], "guardrails": {"sandbox": "local"}},
        {"work": [{"call": {"read": {"path": "big.txt"}}}, {"final": "done"}]},
        {"big.txt": "x" * 500_000},
    )

    result, _ = await task_dir.run(task)

    assert result.status == "succeeded", result.reason
    messages = (task_dir.runs / "runs" / result.run_id / "messages" / "work.json").read_text()
    assert len(messages) < 60_000 and "characters left out" in messages
