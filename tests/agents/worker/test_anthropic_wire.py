"""The Anthropic path end to end: the real `anthropic` SDK talking to a local server that speaks the Messages API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pydantic_ai.models
import pytest

from benchmarks.messages_api import encoded
from interns import tasks
from interns.agents.runtime.supervisor import Supervisor
from interns.agents.worker.models import select_model
from interns.journal import ModelResponse, RunStore
from tests.agents.conftest import TaskDir

pytestmark = pytest.mark.anyio

API_KEY = "sk-ant-api03-wiretest-0123456789abcdefghij"
USAGE = {"input_tokens": 180, "output_tokens": 24, "cache_read_input_tokens": 1500, "cache_creation_input_tokens": 60}


class MessagesAPI(BaseHTTPRequestHandler):
    """Answers POST /v1/messages, streamed or not: first a tool_use of `run`, then a final text."""

    requests: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.requests.append(
            {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
        )
        if len(self.requests) == 1:
            content = [
                {"type": "text", "text": "Running it."},
                {"type": "tool_use", "id": "toolu_01", "name": "run", "input": {"command": "echo wire-ok"}},
            ]
            stop = "tool_use"
        else:
            content, stop = [{"type": "text", "text": "All done."}], "end_turn"
        reply = {
            "id": f"msg_{len(self.requests)}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": USAGE,
        }
        data, content_type = encoded(reply, bool(body.get("stream")))
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def messages_api() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    requests: list[dict[str, Any]] = []
    handler = type("Handler", (MessagesAPI,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


async def test_a_run_on_the_anthropic_wire(
    task_dir: TaskDir, messages_api: tuple[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, requests = messages_api
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)  # only loopback is reachable here
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    path = task_dir.write(
        {"steps": [{"id": "work", "instructions": "Say it."}], "guardrails": {"sandbox": "local"}}, {}
    )
    spec = tasks.load(path)
    choice = select_model(spec.model, None)
    assert choice.name.startswith("anthropic:") and not choice.scripted

    result = await Supervisor(spec, choice, runs_root=task_dir.runs, task_text=path.read_text()).run()

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
