"""An answer that did not finish is not success: a cut-off or refused final answer fails the step, and says why."""

from __future__ import annotations

import pytest

from interns.journal import ModelResponse, StepFinished
from tests.agents.conftest import TaskDir

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("stop", "said"),
    [("max_tokens", "cut off"), ("refusal", "refused"), ("model_context_window_exceeded", "cut off")],
)
async def test_a_final_answer_that_did_not_finish_fails_the_step(task_dir: TaskDir, stop: str, said: str) -> None:
    task = task_dir.write(
        {"steps": [{"id": "work", "instructions": "Summarize."}], "guardrails": {"sandbox": "local"}},
        {"work": [{"final": "The summary is that the", "stop": stop}]},
    )

    result, events = await task_dir.run(task)

    assert result.status == "failed"
    (response,) = [e for e in events if isinstance(e, ModelResponse)]
    assert response.stop_reason == stop
    finished = next(e for e in events if isinstance(e, StepFinished))
    assert finished.status == "failed" and said in finished.reason and stop in finished.reason


async def test_a_finished_answer_records_its_stop_reason(task_dir: TaskDir) -> None:
    task = task_dir.write(
        {"steps": [{"id": "work", "instructions": "Summarize."}], "guardrails": {"sandbox": "local"}},
        {"work": [{"final": "Done."}]},
    )

    result, events = await task_dir.run(task)

    assert result.status == "succeeded", result.reason
    assert [e.stop_reason for e in events if isinstance(e, ModelResponse)] == ["end_turn"]
