"""The scripted model: a pydantic-ai `FunctionModel` that plays a script of turns (`script.py`), for offline runs
and tests."""

from __future__ import annotations

from typing import Any

from pydantic_ai.messages import FinishReason, ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from interns.agents.worker.context import SUMMARIZED_TURNS
from interns.agents.worker.script import Script, Turn

__all__ = ["STOP_REASONS", "scripted_model"]

STOP_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_call",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "refusal": "content_filter",
}
"""A provider's stop reasons (Anthropic's names) and what pydantic-ai makes of them."""


def scripted_model(script: Script, agent: str) -> FunctionModel:
    """A `FunctionModel` that plays the turns of `agent` from the script, one per request, in order."""
    turns = script.agents.get(agent, [])
    played = 0

    def play(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        nonlocal played
        # A conversation resumed in a new process already holds the turns played before it paused, some of them
        # perhaps summarized into a note that says how many. Counted once: every later request adds one turn, and
        # counting a long conversation again on each would make every step slower than the last.
        if played == 0:
            played = sum(_turns_in(m) for m in messages)
        index, played = played, played + 1
        if index >= len(turns):
            why = "has no turns for" if not turns else "has no more turns for"
            return ModelResponse(parts=[TextPart(f"(the script {why} '{agent}')")])
        return _stopped(_response(turns[index], agent, index, info), turns[index].stop)

    return FunctionModel(play, model_name=f"scripted:{script.path.name}:{agent}")


def _turns_in(message: ModelMessage) -> int:
    """The model turns a message is or stands for: 1 for a response, a summary's count for the request holding it."""
    if isinstance(message, ModelResponse):
        return 1
    summarized = (message.metadata or {}).get(SUMMARIZED_TURNS, 0)
    return summarized if isinstance(summarized, int) else 0


def _stopped(response: ModelResponse, stop: str | None) -> ModelResponse:
    """The response with the stop reason a turn gives (by default a provider's for a finished turn), as a
    provider's response carries it."""
    stop = stop or ("tool_use" if response.tool_calls else "end_turn")
    response.finish_reason = STOP_REASONS.get(stop, "stop")
    response.provider_details = {"finish_reason": stop}
    return response


def _response(turn: Turn, agent: str, index: int, info: AgentInfo) -> ModelResponse:
    """The model response a turn plays."""
    if isinstance(turn.final, dict):
        if not info.output_tools:
            return ModelResponse(parts=[TextPart(f"(the script gives '{agent}' a structured answer it cannot take)")])
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, turn.final, f"{agent}-{index}-final")])
    if turn.final is not None:
        return ModelResponse(parts=[TextPart(turn.final)])
    parts: list[Any] = [TextPart(turn.text)] if turn.text else []
    for number, (tool, args) in enumerate(turn.all_calls()):
        parts.append(ToolCallPart(tool_name=tool, args=args, tool_call_id=f"{agent}-{index}-{number}"))
    return ModelResponse(parts=parts)
