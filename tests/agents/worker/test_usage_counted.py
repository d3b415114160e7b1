"""Every token a run spends is counted: the response that crosses a limit too, in the journal and its header."""

from __future__ import annotations

import pytest

from interns.journal import ModelResponse, RunStore, Usage
from tests.agents.conftest import TaskDir

pytestmark = pytest.mark.anyio


async def test_the_response_that_crosses_the_token_limit_is_journaled_and_counted(task_dir: TaskDir) -> None:
    long_text = "word " * 3000
    task = task_dir.write(
        {
            "steps": [{"id": "work", "instructions": "Talk."}],
            "guardrails": {"sandbox": "local", "limits": {"tokens": 1000}},
        },
        {"work": [{"call": {"run": {"command": "true"}}}, {"text": long_text, "call": {"run": {"command": "true"}}}]},
    )

    result, events = await task_dir.run(task)

    assert result.status == "limit_exceeded", result.reason
    responses = [e for e in events if isinstance(e, ModelResponse)]
    assert len(responses) == 2, "the response that crossed the limit is journaled too"
    assert long_text.strip()[:100] in responses[-1].text
    journaled = sum((e.usage for e in responses), Usage())
    assert journaled.total_tokens > 1000
    header = RunStore(task_dir.runs).load(result.run_id)
    assert header.usage.total_tokens == journaled.total_tokens == result.usage.total_tokens
