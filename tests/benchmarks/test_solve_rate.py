"""The solve-rate benchmark's plumbing, through the real CLI against a chat-completions server on loopback.

The server plays a model that knows the fix of the offline example (or one that never calls a tool), so an attempt
runs `interns run` for real, is judged over its worked copy, and its failure modes come from its journal. The peer is
left out: installing mini-swe-agent needs the package index, and its side is exercised by a person's own run.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from benchmarks import solve_rate
from benchmarks.solve_tasks import TASKS, judge, protected_digests
from tests.support.chat_completions import event_stream
from tests.support.loopback import QuietHandler, serving

EXAMPLE = TASKS["fix-failing-test"]
FIXES = [
    {"path": "calc.py", "old": "return a - b", "new": "return a + b"},
    {"path": "calc.py", "old": "(len(values) + 1)", "new": "len(values)"},
]

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="the example's task runs in bubblewrap")


def _answer(body: dict[str, Any], fixes: bool) -> dict[str, Any]:
    """The next assistant message: accept a review, make the fixes once in a fix step, else finish in words."""
    tools = [tool["function"]["name"] for tool in body.get("tools", [])]
    last = body["messages"][-1]
    if any(name.startswith("final_result") for name in tools):
        call = {"name": next(n for n in tools if n.startswith("final_result")), "arguments": {"decision": "accept"}}
        return {"tool_calls": [call]}
    if fixes and "edit" in tools and last["role"] == "user" and "Your step: fix" in str(last["content"]):
        return {"tool_calls": [{"name": "edit", "arguments": fix} for fix in FIXES]}
    return {"content": "Done."}


def _function(call: dict[str, Any]) -> dict[str, Any]:
    return {"name": call["name"], "arguments": json.dumps(call["arguments"])}


def _message(answer: dict[str, Any]) -> dict[str, Any]:
    calls = [
        {"id": f"call_{i}", "type": "function", "function": _function(c)}
        for i, c in enumerate(answer.get("tool_calls", []))
    ]
    return {"role": "assistant", "content": answer.get("content"), **({"tool_calls": calls} if calls else {})}


@contextmanager
def model_server(*, fixes: bool) -> Iterator[str]:
    """A chat-completions server whose model fixes the example's calc.py, or (fixes=False) never calls a tool."""

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = self.received()["body"]
            message = _message(_answer(body, fixes))
            finish = "tool_calls" if "tool_calls" in message else "stop"
            usage = {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}
            head = {"id": "chatcmpl-1", "created": 0, "model": body["model"]}
            if body.get("stream"):
                delta = dict(message)
                if "tool_calls" in delta:
                    delta["tool_calls"] = [{"index": i, **c} for i, c in enumerate(delta["tool_calls"])]
                chunks = [
                    {**head, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]},
                    {
                        **head,
                        "object": "chat.completion.chunk",
                        "choices": [{"index": 0, "delta": {}, "finish_reason": finish}],
                        "usage": usage,
                    },
                ]
                return self.reply(200, "text/event-stream", event_stream(chunks))
            answer = {**head, "object": "chat.completion", "usage": usage}
            answer["choices"] = [{"index": 0, "message": message, "finish_reason": finish}]
            self.reply(200, "application/json", json.dumps(answer).encode())

    with serving(Handler) as url:
        yield f"{url}/v1"


def test_the_judge_wants_passing_tests_that_were_not_touched(tmp_path: Path) -> None:
    EXAMPLE.lay_out(tmp_path)
    expected = protected_digests(EXAMPLE)
    assert judge(EXAMPLE, tmp_path, expected).reason == "tests fail"
    calc = tmp_path / "calc.py"
    for fix in FIXES:
        calc.write_text(calc.read_text().replace(fix["old"], fix["new"]))
    assert judge(EXAMPLE, tmp_path, expected).solved
    tests = tmp_path / "test_calc.py"
    tests.write_text(tests.read_text() + "\n")
    assert judge(EXAMPLE, tmp_path, expected).reason == "changed the tests"


def test_an_attempt_that_fixes_the_example_is_counted_solved(tmp_path: Path) -> None:
    with model_server(fixes=True) as base_url:
        attempt = solve_rate.attempt_interns(EXAMPLE, base_url, "fake", solve_rate.Budget(wall_seconds=120), tmp_path)
    assert attempt.solved, attempt
    assert attempt.tool_calls == 2 and attempt.tokens > 0
    assert (tmp_path / "project" / "calc.py").read_text().count("a - b") == 1  # the original folder is untouched


def test_a_model_that_never_acts_fails_every_attempt_and_the_table_says_so(tmp_path: Path) -> None:
    with model_server(fixes=False) as base_url:
        result = solve_rate.measure(attempts=2, base_url=base_url, model="fake", tasks=["fix-failing-test"], peer=False)
    [row] = result.rows
    assert row.ours == 0.0
    assert "0/2 solved" in row.note
    assert [a["reason"] for a in result.raw["attempts"]] == ["tests fail", "tests fail"]


def test_without_a_server_the_benchmark_says_how_to_start_one() -> None:
    result = solve_rate.measure(attempts=1, base_url=None, peer=False)
    assert result.rows[0].ours is None and "--base-url" in result.rows[0].note
