"""A worker's context within its budget: old tool outputs masked to a stub, then older turns summarized by the model.

The compactor keeps the full conversation (the worker saves it to `messages/`, and a resume starts from it); a
capability sends each request the compacted view, and makes it the run's own history, so that neither what is sent
nor what pydantic-ai walks through each step grows with the run. Both kinds of compaction move in blocks, so the
prefix a provider caches changes rarely: outputs are masked MASK_BLOCK turns at a time, and a summary, once written,
stands until the context nears the budget again.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from pydantic_ai import RunContext
from pydantic_ai.capabilities import AbstractCapability
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models import ModelRequestContext

from interns.journal import ContextCompacted, Usage

if TYPE_CHECKING:  # the tools import the checks, which import the scripted model, which imports this module
    from interns.agents.worker.tools import WorkerDeps

__all__ = [
    "KEEP_TURNS",
    "MASK_BLOCK",
    "SUMMARIZED_TURNS",
    "CompactedContext",
    "Compactor",
    "Summarizer",
    "context_budget",
    "digest",
    "transcript",
]

KEEP_TURNS = 3
"""The latest model turns, always sent in full."""
MASK_BLOCK = 8
"""Turns whose tool outputs are masked at once, past the latest KEEP_TURNS."""
MASK_MIN_CHARS = 400
"""Tool outputs shorter than this are kept: a stub would save next to nothing."""
SUMMARY_AT = 0.8
"""The share of the budget at which older turns are summarized."""
CONTEXT_TURNS = 100
"""Model turns a context holds past its summary, however few tokens they take; older ones are summarized, so that
what each step walks through (pydantic-ai's passes over the history included) does not grow with the run."""
CHARS_PER_TOKEN = 4
SUMMARIZED_TURNS = "interns_summarized_turns"
"""The metadata key, on the request that carries a summary, of how many model turns it stands for."""
WINDOWS = {"anthropic:": 200_000, "openai:": 400_000, "openai-responses:": 400_000, "google": 1_000_000}
"""Context windows, in tokens, by model-name prefix; others get DEFAULT_WINDOW."""
DEFAULT_WINDOW = 128_000
WINDOW_SHARE = 0.75
"""The share of a model's window a worker's context is kept within by default."""

Summarizer = Callable[[str, str, Sequence[ModelMessage]], Awaitable[tuple[str, Usage]]]
"""Writes the note that stands for older turns: given the previous note, their transcript and the turns themselves."""


def context_budget(model_name: str, own: int | None) -> int:
    """The tokens a worker's context is kept within: its task's or step's budget, else most of its model's window."""
    if own is not None:
        return own
    window = next((size for prefix, size in WINDOWS.items() if model_name.startswith(prefix)), DEFAULT_WINDOW)
    return int(window * WINDOW_SHARE)


def _part_text(part: Any) -> str:
    if isinstance(part, ToolCallPart):
        return f"{part.tool_name} {part.args_as_json_str()}"
    if isinstance(part, ToolReturnPart):
        return part.model_response_str()
    content = getattr(part, "content", "")
    return content if isinstance(content, str) else json.dumps(content, default=str)


def transcript(messages: Sequence[ModelMessage], limit: int = 1_500) -> str:
    """The turns as plain text for the summarizer, each part clipped to `limit` characters."""
    lines = []
    for message in messages:
        for part in message.parts:
            text = _part_text(part)
            text = text if len(text) <= limit else text[:limit] + f" [... {len(text) - limit} characters more]"
            if isinstance(part, ToolCallPart):
                lines.append(f"ASSISTANT CALLS {text}")
            elif isinstance(part, ToolReturnPart):
                lines.append(f"TOOL {part.tool_name} RETURNED: {text}")
            elif isinstance(part, TextPart):
                lines.append(f"ASSISTANT: {text}")
            elif text:
                lines.append(f"{'USER' if isinstance(part, UserPromptPart) else 'NOTE'}: {text}")
    return "\n".join(lines)


def digest(messages: Sequence[ModelMessage], limit: int = 40) -> str:
    """A summary written without a model: the tool calls the turns made, one a line (for scripted runs)."""
    parts = [part for message in messages for part in message.parts]
    calls = [f"- {p.tool_name} {p.args_as_json_str()[:160]}" for p in parts if isinstance(p, ToolCallPart)]
    shown = calls[-limit:]
    more = [f"- ({len(calls) - limit} earlier calls not listed)"] if len(calls) > limit else []
    return "Tool calls made in the summarized turns:\n" + "\n".join(more + shown)


@dataclass
class _Summary:
    text: str
    upto: int
    """Messages of the full conversation the note covers: those before index `upto`, less the first."""
    turns: int


class Compactor:
    """What a worker's model is sent of its conversation: the latest turns in full, older outputs masked, the oldest
    turns summarized. Holds no copy of the conversation, only where the summary ends and the stubs it made."""

    def __init__(self, step: str, budget: int, summarize: Summarizer) -> None:
        self.step = step
        self.budget = budget
        self.summarize = summarize
        self.usage = Usage()
        """What summaries cost since the worker last took it."""
        self._summary: _Summary | None = None
        self._head: ModelRequest | None = None
        self._masked: dict[int, tuple[ModelRequest, ModelRequest]] = {}
        self._tokens: dict[int, tuple[ModelMessage, int]] = {}
        self._full: list[ModelMessage] | None = None
        self._sent = 0

    def begin(self) -> None:
        """A new attempt: the run starts from the full conversation it is given."""
        self._full, self._sent = None, 0

    def track(self, state: list[ModelMessage]) -> list[ModelMessage]:
        """The full conversation, from the run's own history: the view last sent, then what came since."""
        if self._full is None:
            self._full = list(state)
        else:
            self._full.extend(state[self._sent :])
        return self._full

    def sent(self, view: list[ModelMessage]) -> None:
        """The run's history is now `view`: what comes after it is new."""
        self._sent = len(view)

    def conversation(self, state: Sequence[ModelMessage]) -> list[ModelMessage]:
        """The full conversation at the end of an attempt, from the run's own history."""
        return list(state) if self._full is None else [*self._full, *state[self._sent :]]

    def restore(self, event: ContextCompacted) -> None:
        """Go on from a summary journaled before (a resumed step): its note stands for the same turns again."""
        self._set_summary(_Summary(event.summary, event.upto, event.turns))

    def take_usage(self) -> Usage:
        """What summaries cost since the last call, for the attempt's tally."""
        usage, self.usage = self.usage, Usage()
        return usage

    async def view(
        self, messages: list[ModelMessage], record: Callable[[Any], Any], attempt: int
    ) -> list[ModelMessage]:
        """The messages to send: compacted, and summarized first if they near the budget."""
        view = self._view(messages)
        before = self.tokens(view)
        crowded = before > SUMMARY_AT * self.budget or self._turns(view) > CONTEXT_TURNS
        if crowded and (usage := await self._summarize(messages)) is not None:
            view = self._view(messages)
            summary = self._summary
            assert summary is not None
            record(
                ContextCompacted(
                    step=self.step,
                    attempt=attempt,
                    summary=summary.text,
                    upto=summary.upto,
                    turns=summary.turns,
                    tokens_before=before,
                    tokens_after=self.tokens(view),
                    budget=self.budget,
                    usage=usage,
                )
            )
        return view

    def tokens(self, messages: Sequence[ModelMessage]) -> int:
        """Estimated tokens of the messages (characters / 4), each message counted once."""
        total = 0
        for message in messages:
            known = self._tokens.get(id(message))
            if known is None or known[0] is not message:
                known = (message, sum(len(_part_text(p)) for p in message.parts) // CHARS_PER_TOKEN + 4)
                self._tokens[id(message)] = known
            total += known[1]
        return total

    @staticmethod
    def _turns(view: list[ModelMessage]) -> int:
        return sum(isinstance(m, ModelResponse) for m in view)

    def _start(self) -> int:
        return self._summary.upto if self._summary is not None else 1

    def _view(self, messages: list[ModelMessage]) -> list[ModelMessage]:
        start = self._start()
        if len(messages) <= start:
            return list(messages)
        recent = [i for i in range(start, len(messages)) if isinstance(messages[i], ModelResponse)]
        blocks = (len(recent) - KEEP_TURNS) // MASK_BLOCK
        mask_before = recent[blocks * MASK_BLOCK] if blocks > 0 else start
        head = self._head_of(messages[0])
        body = [
            self._mask(m) if i < mask_before and isinstance(m, ModelRequest) else m
            for i, m in enumerate(messages[start:], start)
        ]
        return [head, *body]

    def _head_of(self, first: ModelMessage) -> ModelMessage:
        """The step's first request, with the summary after its prompt when there is one."""
        if self._summary is None or not isinstance(first, ModelRequest):
            return first
        if self._head is None:
            note = UserPromptPart(
                f"[interns: the {self._summary.turns} earlier turns of this step are summarized here to keep the "
                f"context within its budget; their full record is in the run's journal.]\n\n{self._summary.text}"
            )
            if first.parts:  # the same note, to the timestamp, in a resumed step: nothing of it differs
                note.timestamp = getattr(first.parts[0], "timestamp", note.timestamp)
            metadata = {**(first.metadata or {}), SUMMARIZED_TURNS: self._summary.turns}
            self._head = dataclasses.replace(first, parts=[*first.parts, note], metadata=metadata)
        return self._head

    def _mask(self, request: ModelRequest) -> ModelRequest:
        """The request with each long tool output replaced by a one-line stub naming the call in the journal."""
        known = self._masked.get(id(request))
        if known is not None and known[0] is request:
            return known[1]
        parts = [self._masked_part(part) for part in request.parts]
        masked = dataclasses.replace(request, parts=parts) if parts != list(request.parts) else request
        self._masked[id(request)] = (request, masked)
        return masked

    def _masked_part(self, part: Any) -> Any:
        """A tool's long output as its stub; any other part (a tool search's structured return too) as it is."""
        if type(part) is not ToolReturnPart or len(part.model_response_str()) < MASK_MIN_CHARS:
            return part
        returned = cast(ToolReturnPart[Any], part)
        return dataclasses.replace(returned, content=self._stub(returned))

    def _stub(self, part: ToolReturnPart[Any]) -> str:
        size = len(part.model_response_str())
        return (
            f"[interns: this {part.tool_name} output ({size} characters) is no longer shown, to save context; it is "
            f"in the run's journal: step {self.step}, tool call {part.tool_call_id}. Call the tool again if you need "
            "it.]"
        )

    async def _summarize(self, messages: list[ModelMessage]) -> Usage | None:
        """Replace all but the latest KEEP_TURNS turns by a note, returning its cost; None with nothing to replace."""
        start = self._start()
        recent = [i for i in range(start, len(messages)) if isinstance(messages[i], ModelResponse)]
        if len(recent) <= KEEP_TURNS:
            return None
        upto = recent[-KEEP_TURNS]
        older = messages[start:upto]
        previous = self._summary.text if self._summary is not None else ""
        text, usage = await self.summarize(previous, transcript(older), older)
        turns = (self._summary.turns if self._summary is not None else 0) + sum(
            isinstance(m, ModelResponse) for m in older
        )
        self.usage = self.usage + usage
        self._set_summary(_Summary(text.strip() or "(the summary came back empty)", upto, turns))
        return usage

    def _set_summary(self, summary: _Summary) -> None:
        self._summary, self._head = summary, None
        self._masked.clear()
        self._tokens.clear()


@dataclass
class CompactedContext(AbstractCapability[Any]):
    """Sends each model request the compactor's view of the conversation, and keeps the run's history to it."""

    compactor: Compactor

    async def before_model_request(
        self, ctx: RunContext[WorkerDeps], request_context: ModelRequestContext
    ) -> ModelRequestContext:
        """Compact what this request sends."""
        deps = ctx.deps
        full = self.compactor.track(ctx.messages)
        view = await self.compactor.view(full, deps.record, deps.attempt)
        # The run's own history becomes the view, so that pydantic-ai's passes over it each step stay as short as
        # what is sent; the compactor keeps the full conversation, which the worker saves.
        ctx.messages[:] = view
        self.compactor.sent(view)
        request_context.messages = list(view)
        return request_context

    @classmethod
    def get_serialization_name(cls) -> str | None:
        """Not part of an agent spec: it holds a live compactor."""
        return None
