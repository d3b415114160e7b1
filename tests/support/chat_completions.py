"""A local server that replays recorded OpenAI chat-completion responses (JSON or SSE), for tests.

The recordings under `tests/support/recordings/` were made by `benchmarks/record_openai.py` against a real
llama-server: each holds a header (`recorded`: model, server build, date) and the `exchanges` of one conversation,
each a request body as the kit sent it and the server's answer, either `response` (one JSON object) or `chunks` (the
objects of each `data:` line of the event stream, before `data: [DONE]`). `replay_server(exchanges)` answers the n-th
POST with the n-th exchange's answer and keeps every request it got (path, headers, body) for the test to inspect.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.loopback import QuietHandler, serving

RECORDINGS = Path(__file__).parent / "recordings"

TOOL_TASK: dict[str, Any] = {
    "steps": [
        {
            "id": "work",
            "instructions": "Run the command `echo wire-ok` with the run tool, then answer with the line it printed.",
        }
    ],
    "model_settings": {"temperature": 0},
}
LENGTH_TASK: dict[str, Any] = {
    "steps": [
        {
            "id": "work",
            "instructions": "Do not call any tool. Explain in three paragraphs what a unit test is and why it helps.",
        }
    ],
    "model_settings": {"temperature": 0, "max_tokens": 16},
}
"""The tasks the recordings were made with (`benchmarks/record_openai.py` records them; the replay test runs them)."""


def recording(name: str) -> dict[str, Any]:
    """One recording by its file name (without `.json`)."""
    loaded: dict[str, Any] = json.loads((RECORDINGS / f"{name}.json").read_text())
    return loaded


def event_stream(chunks: list[dict[str, Any]]) -> bytes:
    """The body of a streamed answer as llama-server sends it: one `data:` line per chunk, then `data: [DONE]`."""
    lines = [f"data: {json.dumps(chunk, separators=(',', ':'))}\n\n" for chunk in chunks]
    return "".join([*lines, "data: [DONE]\n\n"]).encode()


@dataclass
class ReplayServer:
    """Where the server listens (its `/v1` base URL), and each request it got: path, headers and body."""

    base_url: str
    requests: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def replay_server(exchanges: list[dict[str, Any]]) -> Iterator[ReplayServer]:
    """Serve the recorded answers, in order, on a free loopback port while the block runs.

    A request that asks for a stream when the recording has none (or the other way round), or one more request than
    there are recordings, gets HTTP 400 with the reason (the SDK does not retry a 400), so a test fails on it rather
    than on a made-up answer.
    """
    state = ReplayServer(base_url="")
    lock = threading.Lock()

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            request = self.received()
            body = request["body"]
            with lock:
                state.requests.append(request)
                number = len(state.requests)
            if number > len(exchanges):
                return self._refuse(f"request {number}: the recording has only {len(exchanges)} answers")
            exchange = exchanges[number - 1]
            if bool(body.get("stream")) != ("chunks" in exchange):
                return self._refuse(f"request {number}: stream={body.get('stream')} but the recording differs")
            if "chunks" in exchange:
                self.reply(200, "text/event-stream", event_stream(exchange["chunks"]))
            else:
                self.reply(200, "application/json; charset=utf-8", json.dumps(exchange["response"]).encode())

        def _refuse(self, why: str) -> None:
            data = json.dumps({"error": {"code": 400, "message": why, "type": "invalid_request_error"}}).encode()
            self.reply(400, "application/json", data)

    with serving(Handler) as url:
        state.base_url = f"{url}/v1"
        yield state
