"""A local server that speaks Anthropic's Messages API (JSON or SSE): the one fake of it, for tests and benchmarks.

`messages_server(respond)` serves on a free loopback port and records every request (path, headers, body); `respond`
writes each reply. `run_until(tool_turns, cache)` is the benchmarks' reply: `run` a command until the conversation
has `tool_turns` assistant turns, then answer, with usage accounted as Anthropic's prompt cache would: the request
is read as blocks in order (tools, system, messages); a block marked `cache_control` is a breakpoint where a cache
entry is written, if the prefix up to it holds at least `min_cacheable` tokens; a later request reads the longest
cached prefix that ends at one of its own breakpoints or up to 20 blocks before one. Tokens are counted as
characters / 4 of each block's JSON, the same for every figure.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.support.loopback import QuietHandler, serving

LOOKBACK_BLOCKS = 20
MIN_CACHEABLE_TOKENS = 1024  # Anthropic's minimum for Sonnet and Opus models


def _tokens(block: Any) -> int:
    return max(1, len(json.dumps(block, sort_keys=True)) // 4)


def request_blocks(body: dict[str, Any]) -> list[tuple[Any, bool]]:
    """The request's blocks in cache order, each without its cache_control, and whether it is a breakpoint."""
    blocks: list[tuple[Any, bool]] = []

    def add(block: Any, role: str = "") -> None:
        marked = isinstance(block, dict) and "cache_control" in block
        clean = {k: v for k, v in block.items() if k != "cache_control"} if isinstance(block, dict) else block
        blocks.append(({"role": role, "block": clean} if role else clean, marked))

    for tool in body.get("tools", []):
        add(tool)
    system = body.get("system", [])
    for block in [{"type": "text", "text": system}] if isinstance(system, str) else system:
        add(block)
    for message in body.get("messages", []):
        content = message["content"]
        for block in [{"type": "text", "text": content}] if isinstance(content, str) else content:
            add(block, message["role"])
    return blocks


@dataclass
class PrefixCache:
    """Cache entries by the hash of the prefix they cover; `account` prices one request and writes its entries."""

    min_cacheable: int = MIN_CACHEABLE_TOKENS
    entries: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def account(self, body: dict[str, Any]) -> dict[str, int]:
        """input_tokens, cache_read_input_tokens and cache_creation_input_tokens of one request."""
        blocks = request_blocks(body)
        hashes, totals, digest, total = [], [], hashlib.sha256(), 0
        for block, _marked in blocks:
            digest.update(json.dumps(block, sort_keys=True).encode())
            hashes.append(digest.copy().hexdigest())
            total += _tokens(block)
            totals.append(total)
        breakpoints = [i for i, (_block, marked) in enumerate(blocks) if marked]
        with self.lock:
            read = 0
            for point in breakpoints:
                for i in range(point, max(point - LOOKBACK_BLOCKS, -1), -1):
                    if hashes[i] in self.entries:
                        read = max(read, totals[i])
                        break
            written = 0
            for point in breakpoints:
                if totals[point] >= self.min_cacheable:
                    self.entries[hashes[point]] = totals[point]
                    written = max(written, totals[point] - read)
        return {
            "input_tokens": total - read - written,
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": written,
        }


def reply(body: dict[str, Any], number: int, content: list[dict[str, Any]], usage: dict[str, int]) -> dict[str, Any]:
    """A Messages-API reply to `body` with `content`; it stops for a tool when the content calls one."""
    stop = "tool_use" if any(block["type"] == "tool_use" for block in content) else "end_turn"
    return {
        "id": f"msg_{number:05d}",
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": usage,
    }


def api_error(status: int, kind: str, retry_after_ms: int | None = None) -> dict[str, Any]:
    """An error answer as the Messages API sends one (`overloaded_error` with 529, `rate_limit_error` with 429)."""
    headers = {"retry-after-ms": str(retry_after_ms)} if retry_after_ms is not None else {}
    return {"status": status, "headers": headers, "type": "error", "error": {"type": kind, "message": kind}}


def run_until(tool_turns: int, cache: PrefixCache) -> Respond:
    """Replies that `run` a command until the conversation has `tool_turns` assistant turns, then answer."""

    def respond(body: dict[str, Any], number: int) -> dict[str, Any]:
        turns = sum(1 for m in body.get("messages", []) if m["role"] == "assistant")
        content: list[dict[str, Any]] = [{"type": "text", "text": "Done."}]
        if turns < tool_turns:
            content = [{"type": "tool_use", "id": f"toolu_{turns:04d}", "name": "run", "input": {"command": "true"}}]
        return reply(body, number, content, {**cache.account(body), "output_tokens": 20})

    return respond


def sse_events(reply: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The server-sent events that stream `reply`, as the Messages API sends them."""
    start = {**reply, "content": [], "stop_reason": None, "usage": {**reply["usage"], "output_tokens": 1}}
    events: list[tuple[str, dict[str, Any]]] = [("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(reply["content"]):
        opening: dict[str, Any]
        delta: dict[str, Any]
        if block["type"] == "text":
            opening, delta = {"type": "text", "text": ""}, {"type": "text_delta", "text": block["text"]}
        else:
            opening = {**block, "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        events += [
            ("content_block_start", {"type": "content_block_start", "index": index, "content_block": opening}),
            ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}),
            ("content_block_stop", {"type": "content_block_stop", "index": index}),
        ]
    stop = {"stop_reason": reply["stop_reason"], "stop_sequence": None}
    events.append(("message_delta", {"type": "message_delta", "delta": stop, "usage": reply["usage"]}))
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def encoded(reply: dict[str, Any], stream: bool) -> tuple[bytes, str]:
    """The body and content type that send `reply`: server-sent events when streamed, else one JSON object."""
    if stream:
        return "".join(
            f"event: {n}\ndata: {json.dumps(e)}\n\n" for n, e in sse_events(reply)
        ).encode(), "text/event-stream"
    return json.dumps(reply).encode(), "application/json"


Respond = Callable[[dict[str, Any], int], dict[str, Any]]
"""Writes the reply to a request's body; the int counts the requests so far, this one included."""


@dataclass
class MessagesServer:
    """Where the server listens, and what it saw: each request's path, headers and body, and each reply."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def usages(self) -> list[dict[str, int]]:
        """The usage each reply was given."""
        return [r["usage"] for r in self.replies]


@contextmanager
def messages_server(respond: Respond) -> Iterator[MessagesServer]:
    """Serve the Messages API on a free loopback port while the block runs."""
    state = MessagesServer(url="")
    lock = threading.Lock()

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            request = self.received()
            body = request["body"]
            with lock:
                state.requests.append(request)
                answer = respond(body, len(state.requests))
                state.replies.append(answer)
            if "error" in answer:  # an API error (an overloaded 529, a 429): its status, headers and body
                status, extra = answer.pop("status"), answer.pop("headers", {})
                data, content_type = json.dumps(answer).encode(), "application/json"
            else:
                (data, content_type), status, extra = encoded(answer, bool(body.get("stream"))), 200, {}
            self.reply(status, content_type, data, extra)

    with serving(Handler) as url:
        state.url = url
        yield state
