"""The Anthropic path end to end: the real `anthropic` SDK talking to a local server that speaks the Messages API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydantic_ai.models
import pytest

from interns import tasks
from interns.agents.cli.timeline import event_line
from interns.agents.runtime.runner import Runner
from interns.agents.runtime.supervisor import Supervisor, TaskSource
from interns.agents.worker.models import select_model
from interns.journal import ModelResponse, ModelRetried, RunStore
from tests.agents.conftest import TaskDir
from tests.support.messages_api import MessagesServer, api_error, messages_server, reply

pytestmark = pytest.mark.anyio

API_KEY = "sk-ant-api03-wiretest-0123456789abcdefghij"
USAGE = {"input_tokens": 180, "output_tokens": 24, "cache_read_input_tokens": 1500, "cache_creation_input_tokens": 60}


def run_then_answer(body: dict[str, Any], number: int) -> dict[str, Any]:
    """First a tool_use of `run`, then a final text."""
    content: list[dict[str, Any]] = [{"type": "text", "text": "All done."}]
    if number == 1:
        content = [
            {"type": "text", "text": "Running it."},
            {"type": "tool_use", "id": "toolu_01", "name": "run", "input": {"command": "echo wire-ok"}},
        ]
    return reply(body, number, content, USAGE)


@pytest.fixture
def messages_api() -> Iterator[MessagesServer]:
    with messages_server(run_then_answer) as server:
        yield server


async def test_a_run_on_the_anthropic_wire(
    task_dir: TaskDir, messages_api: MessagesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, requests = messages_api.url, messages_api.requests
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)  # only loopback is reachable here
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    path = task_dir.write(
        {"steps": [{"id": "work", "instructions": "Say it."}], "guardrails": {"sandbox": "local"}}, {}
    )
    spec = tasks.load(path)
    choice = select_model(spec.model, None)
    assert choice.name.startswith("anthropic:") and not choice.scripted

    result = await Supervisor(spec, choice, TaskSource(path.read_text()), runs_root=task_dir.runs).run()

    assert result.status == "succeeded", result.reason
    assert len(requests) == 2
    first = requests[0]
    assert first["path"].startswith("/v1/messages")
    sent_key = first["headers"].get("x-api-key") or first["headers"].get("authorization", "").removeprefix("Bearer ")
    assert sent_key == API_KEY
    assert {t["name"] for t in first["body"]["tools"]} == {"read", "write", "edit", "list", "search", "run"}
    assert "cache_control" in json.dumps(first["body"]), "prompt caching is on for Anthropic"
    tool_result = requests[1]["body"]["messages"][-1]["content"][0]
    assert tool_result["type"] == "tool_result" and "wire-ok" in json.dumps(tool_result["content"])

    events = list(RunStore(task_dir.runs).events(result.run_id))
    turns = [e for e in events if isinstance(e, ModelResponse)]
    assert [t.usage.cache_read_tokens for t in turns] == [1500, 1500]
    assert turns[0].tool_calls[0]["tool"] == "run"
    header = RunStore(task_dir.runs).load(result.run_id)
    assert header.usage.cache_read_tokens == 3000 and header.usage.output_tokens == 48
    assert header.usage.cost_usd is not None and header.usage.cost_usd > 0
    for file in Path(result.run_dir).rglob("*"):
        if file.is_file():
            assert API_KEY.encode() not in file.read_bytes(), file


def overloaded_then_answer(body: dict[str, Any], number: int) -> dict[str, Any]:
    """The API is overloaded twice (529, then a 429), then answers."""
    if number == 1:
        return api_error(529, "overloaded_error", retry_after_ms=20)
    if number == 2:
        return api_error(429, "rate_limit_error", retry_after_ms=30)
    return reply(body, number, [{"type": "text", "text": "All done."}], USAGE)


async def test_retries_of_an_overloaded_api_are_journaled_and_shown(
    task_dir: TaskDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)  # only loopback is reachable here
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    path = task_dir.write(
        {"steps": [{"id": "work", "instructions": "Say it."}], "guardrails": {"sandbox": "local"}}, {}
    )

    with messages_server(overloaded_then_answer) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        result = await Runner(task_dir.runs).start(path).run()

    assert result.status == "succeeded", result.reason
    assert len(server.requests) == 3
    events = list(RunStore(task_dir.runs).events(result.run_id))
    retries = [e for e in events if isinstance(e, ModelRetried)]
    assert [(r.step, r.status, r.attempt) for r in retries] == [("work", 529, 1), ("work", 429, 2)]
    assert [r.wait_seconds for r in retries] == [0.02, 0.03]
    assert "HTTP 529" in str(event_line(retries[0]))
