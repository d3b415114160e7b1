"""What a real model needs from the harness between its replies and the tools: bounds on fan-out, and loops noticed.

Seen with a small local model: one reply held 34 identical `run` calls, all executed; another model repeated the
same test command until its turn limit. So, for every tool (built-in or MCP) the worker calls:
- a call identical to an earlier one in the same reply is not run again;
- one reply runs at most `limits.calls_per_turn` calls, and the rest are refused with the reason;
- the same call made again, with no other call in between, is run but the model is told; past
  `limits.repeated_calls` in a row the step ends as `stuck`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai import RunContext
from pydantic_ai.toolsets import AbstractToolset, ToolsetTool, WrapperToolset

from interns.agents.worker.tools import WorkerDeps
from interns.errors import RunError
from interns.journal import ToolCall

__all__ = ["CallLedger", "StepStuck", "TurnGuard", "guarded"]


class StepStuck(RunError):
    """The worker repeats the same call with nothing in between: it is going nowhere."""


@dataclass
class CallLedger:
    """The calls of one attempt: those of each reply, and the run of identical calls just made."""

    calls_per_turn: int
    repeated_calls: int
    per_reply: dict[int, set[str]] = field(default_factory=dict)
    last: str = ""
    streak: int = 0

    def reset(self) -> None:
        """Start a new attempt: its replies are counted from the first again."""
        self.per_reply.clear()
        self.last, self.streak = "", 0

    def admit(self, reply: int, key: str) -> str | None:
        """Why the call is not run (a twin in this reply, or one too many), or None to run it."""
        seen = self.per_reply.setdefault(reply, set())
        if key in seen:
            return "Not run: it is the same call as another in this reply, which ran once; read that one's result."
        if len(seen) >= self.calls_per_turn:
            return (
                f"Not run: one reply may make {self.calls_per_turn} tool calls (limits.calls_per_turn); "
                "make the rest in your next reply if they are still needed."
            )
        seen.add(key)
        self.streak = self.streak + 1 if key == self.last else 1
        self.last = key
        return None


@dataclass
class TurnGuard(WrapperToolset[WorkerDeps]):
    """A toolset whose calls pass the attempt's ledger first; all of a worker's toolsets share one ledger."""

    ledger: CallLedger = field(default_factory=lambda: CallLedger(10, 4))
    """The attempt's calls so far, shared by every toolset of the worker."""

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[WorkerDeps], tool: ToolsetTool[WorkerDeps]
    ) -> Any:
        """Run the call unless the ledger refuses it; say so when it repeats, and end the step past the limit."""
        key = name + " " + json.dumps(tool_args, sort_keys=True, default=str)
        if refusal := self.ledger.admit(ctx.run_step, key):
            ctx.deps.record(ToolCall(step=ctx.deps.step, tool=name, args=tool_args, ok=False, result=refusal))
            return refusal
        streak, limit = self.ledger.streak, self.ledger.repeated_calls
        if streak > limit:
            raise StepStuck(f"the worker made the same call {streak} times in a row: {key[:300]}")
        result = await super().call_tool(name, tool_args, ctx, tool)
        if streak > 1 and isinstance(result, str):
            note = (
                f"[interns: this is the same call {streak} times in a row, and it gives the same result; do something "
                f"else. After {limit} in a row the step ends as stuck.]"
            )
            ctx.deps.record(ToolCall(step=ctx.deps.step, tool=name, args=tool_args, ok=True, result=note))
            return f"{result}\n{note}"
        return result


def guarded(toolsets: list[AbstractToolset[WorkerDeps]], ledger: CallLedger) -> list[AbstractToolset[WorkerDeps]]:
    """The toolsets, each behind a guard, all sharing the one ledger."""
    return [TurnGuard(toolset, ledger=ledger) for toolset in toolsets]
