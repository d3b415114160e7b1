"""The OpenAI chat-completions path end to end: the real `openai` SDK, through pydantic-ai's `openai-chat:` model,
against a local server replaying responses recorded from a real llama-server (Qwen2.5-Coder; see
`benchmarks/record_openai.py`), so CI covers the local-model path without the model."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable
from pathlib import Path
from typing import Any

import pydantic_ai.models
import pytest
from pydantic_ai import Agent, RunContext
from pydantic_ai.messages import AgentStreamEvent, ModelResponse, PartDeltaEvent, PartStartEvent, TextPartDelta

from interns.agents.runtime.runner import Runner
from interns.agents.worker.agent import journal_response, unfinished
from interns.agents.worker.models import select_model
from interns.journal import Event, RunStore, StepFinished
from interns.journal import ModelResponse as JournaledResponse
from tests.agents.conftest import TaskDir
from tests.support.chat_completions import LENGTH_TASK, TOOL_TASK, ReplayServer, recording, replay_server

pytestmark = pytest.mark.anyio

API_KEY = "sk-local-wiretest-0123456789abcdefghij"


@pytest.fixture
def openai_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Model requests allowed (only loopback is reachable) with a key; the test sets OPENAI_BASE_URL."""
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    return monkeypatch


def recorded_model(rec: dict[str, Any]) -> str:
    """The model string a person gives the kit for the recorded server."""
    return f"openai-chat:{rec['recorded']['model']}"


def answers(rec: dict[str, Any]) -> list[dict[str, Any]]:
    """The message of each recorded JSON answer."""
    return [e["response"]["choices"][0] for e in rec["exchanges"]]


async def run_recorded(
    task_dir: TaskDir, task: dict[str, Any], rec: dict[str, Any], env: pytest.MonkeyPatch
) -> tuple[Any, list[Event], ReplayServer]:
    """Run the task through the Runner on the recorded model, the server replaying `rec`."""
    path = task_dir.write({**task, "guardrails": {"sandbox": "local"}}, {})
    with replay_server(rec["exchanges"]) as server:
        env.setenv("OPENAI_BASE_URL", server.base_url)
        result = await Runner(task_dir.runs).start(path, model=recorded_model(rec)).run()
    return result, list(RunStore(task_dir.runs).events(result.run_id)), server


def test_the_recordings_are_real_llama_server_answers() -> None:
    for name in ["openai_chat_tool_call", "openai_chat_length"]:
        header = recording(name)["recorded"]
        assert header["server"].startswith("llama-server") and header["model"] and header["date"]
    first, final = answers(recording("openai_chat_tool_call"))
    assert first["finish_reason"] == "tool_calls" and first["message"]["tool_calls"][0]["function"]["name"] == "run"
    assert final["finish_reason"] == "stop"
    assert [a["finish_reason"] for a in answers(recording("openai_chat_length"))] == ["length"]


async def test_a_run_that_calls_a_tool_then_answers(task_dir: TaskDir, openai_env: pytest.MonkeyPatch) -> None:
    rec = recording("openai_chat_tool_call")
    (first, final), recorded_requests = answers(rec), [e["request"] for e in rec["exchanges"]]

    result, events, server = await run_recorded(task_dir, TOOL_TASK, rec, openai_env)

    assert result.status == "succeeded", result.reason
    requests = server.requests
    assert [r["path"] for r in requests] == ["/v1/chat/completions"] * 2
    assert requests[0]["headers"]["authorization"] == f"Bearer {API_KEY}"
    sent = [r["body"] for r in requests]
    assert [b["model"] for b in sent] == [rec["recorded"]["model"]] * 2 and not any(b.get("stream") for b in sent)
    # the kit still sends what it sent when the recording was made: the same tools, the same turns
    assert [tool_names(b) for b in sent] == [tool_names(b) for b in recorded_requests]
    assert (
        [roles(b) for b in sent]
        == [roles(b) for b in recorded_requests]
        == [
            ["system", "user"],
            ["system", "user", "assistant", "tool"],
        ]
    )
    call = first["message"]["tool_calls"][0]
    assistant, tool_result = sent[1]["messages"][2:]
    assert assistant["tool_calls"][0]["id"] == call["id"] == tool_result["tool_call_id"]
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == json.loads(call["function"]["arguments"])
    assert "wire-ok" in tool_result["content"], "the command really ran, and its output went back to the model"

    turns = [e for e in events if isinstance(e, JournaledResponse)]
    assert [t.stop_reason for t in turns] == ["tool_calls", "stop"]
    assert turns[0].tool_calls == [{"tool": "run", "args": json.loads(call["function"]["arguments"]), "id": call["id"]}]
    assert turns[1].text == final["message"]["content"]
    usages = [e["response"]["usage"] for e in rec["exchanges"]]
    assert [(t.usage.input_tokens, t.usage.output_tokens) for t in turns] == [
        (u["prompt_tokens"], u["completion_tokens"]) for u in usages
    ]
    cached = [u["prompt_tokens_details"]["cached_tokens"] for u in usages]
    assert [t.usage.cache_read_tokens for t in turns] == cached and cached[1] > 0, "llama-server's prompt cache counts"
    header = RunStore(task_dir.runs).load(result.run_id)
    assert header.usage.requests == 2
    assert header.usage.input_tokens == sum(u["prompt_tokens"] for u in usages)
    assert header.usage.output_tokens == sum(u["completion_tokens"] for u in usages)
    assert header.usage.cost_usd is None, "a local model has no price; no cost is made up"
    for file in Path(result.run_dir).rglob("*"):
        if file.is_file():
            assert API_KEY.encode() not in file.read_bytes(), file


async def test_an_answer_cut_off_at_max_tokens_fails_the_step(
    task_dir: TaskDir, openai_env: pytest.MonkeyPatch
) -> None:
    rec = recording("openai_chat_length")

    result, events, server = await run_recorded(task_dir, LENGTH_TASK, rec, openai_env)

    assert result.status == "failed"
    limit = LENGTH_TASK["model_settings"]["max_tokens"]
    assert [r["body"]["max_completion_tokens"] for r in server.requests] == [limit], "the task's max_tokens was sent"
    (turn,) = [e for e in events if isinstance(e, JournaledResponse)]
    assert turn.stop_reason == "length" and turn.text == answers(rec)[0]["message"]["content"]
    assert turn.usage.output_tokens == limit
    finished = next(e for e in events if isinstance(e, StepFinished))
    assert finished.status == "failed" and "cut off" in finished.reason and "length" in finished.reason


async def stream_through_the_kits_model(rec: dict[str, Any], env: pytest.MonkeyPatch) -> tuple[Any, ReplayServer]:
    """Run an agent on the kit's `openai-chat:` model with streaming, its `run` tool answering as the sandbox did."""
    output = "exit code 0\nwire-ok\n"
    agent = Agent(output_type=str)

    @agent.tool
    def run(ctx: RunContext[None], command: str) -> str:
        """Run a shell command in the workspace."""
        return output if command == "echo wire-ok" else f"exit code 127\n{command}: not found\n"

    events: list[AgentStreamEvent] = []

    async def keep(_: RunContext[None], stream: AsyncIterable[AgentStreamEvent]) -> None:
        events.extend([event async for event in stream])

    with replay_server(rec["exchanges"]) as server:
        env.setenv("OPENAI_BASE_URL", server.base_url)
        model = select_model(None, recorded_model(rec)).for_agent("work")
        result = await agent.run("Run `echo wire-ok`.", model=model, event_stream_handler=keep)
    return (result, events), server


async def test_streamed_chunks_make_the_same_tool_call_and_answer(openai_env: pytest.MonkeyPatch) -> None:
    rec = recording("openai_chat_tool_call_streamed")
    chunks = [e["chunks"] for e in rec["exchanges"]]
    assert all(len(c) > 2 for c in chunks), "a real stream: the answer comes in pieces"

    (result, events), server = await stream_through_the_kits_model(rec, openai_env)

    assert [r["body"]["stream"] for r in server.requests] == [True, True]
    assert all(r["body"]["stream_options"] == {"include_usage": True} for r in server.requests)
    responses = [m for m in result.all_messages() if isinstance(m, ModelResponse)]
    assert len(responses) == 2
    journaled: list[Event] = []
    for response in responses:
        journal_response(response, "work", 1, journaled.append)
    turns = [e for e in journaled if isinstance(e, JournaledResponse)]
    assert [t.stop_reason for t in turns] == ["tool_calls", "stop"]
    streamed_args = "".join(
        call["function"].get("arguments", "")
        for chunk in chunks[0]
        for choice in chunk["choices"]
        for call in choice["delta"].get("tool_calls") or []
    )
    assert turns[0].tool_calls[0]["tool"] == "run" and turns[0].tool_calls[0]["args"] == json.loads(streamed_args)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks[1] if c["choices"])
    assert result.output == turns[1].text == text
    deltas = [e for e in events if isinstance(e, PartDeltaEvent) and isinstance(e.delta, TextPartDelta)]
    assert len(deltas) > 1 and any(isinstance(e, PartStartEvent) for e in events)
    usages = [next(c["usage"] for c in reversed(stream) if c.get("usage")) for stream in chunks]
    assert [(t.usage.input_tokens, t.usage.output_tokens) for t in turns] == [
        (u["prompt_tokens"], u["completion_tokens"]) for u in usages
    ]


async def test_a_streamed_answer_cut_off_at_max_tokens_is_not_finished(openai_env: pytest.MonkeyPatch) -> None:
    rec = recording("openai_chat_length_streamed")

    (result, _events), _server = await stream_through_the_kits_model(rec, openai_env)

    (response,) = [m for m in result.all_messages() if isinstance(m, ModelResponse)]
    why = unfinished(response)
    assert why is not None and "cut off" in why and "length" in why
    assert response.usage.output_tokens == rec["exchanges"][0]["request"]["max_completion_tokens"]


def tool_names(body: dict[str, Any]) -> list[str]:
    """The names of the tools a request offers, in order."""
    return [t["function"]["name"] for t in body.get("tools", [])]


def roles(body: dict[str, Any]) -> list[str]:
    """The role of each message of a request."""
    return [m["role"] for m in body["messages"]]
