"""One worker: a pydantic-ai agent that works on one step through the sandboxed tools, within the step's limits."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from pydantic_ai import Agent, DeferredToolRequests, DeferredToolResults
from pydantic_ai.exceptions import AgentRunError, UsageLimitExceeded
from pydantic_ai.messages import ModelMessage, ModelRequest, RetryPromptPart, TextPart, ToolReturnPart
from pydantic_ai.messages import ModelResponse as PaiModelResponse
from pydantic_ai.toolsets import AbstractToolset, FunctionToolset
from pydantic_ai.usage import RequestUsage, UsageLimits

from interns import prompts
from interns.agents.worker.context import CompactedContext, Compactor, context_budget, digest
from interns.agents.worker.models import ModelChoice
from interns.agents.worker.retries import recording_retries
from interns.agents.worker.tools import WorkerDeps, worker_tools
from interns.agents.worker.turns import CallLedger, StepStuck, guarded
from interns.journal import ContextCompacted, Event, ModelResponse, ToolCall, Usage
from interns.sandbox import SandboxUnavailable
from interns.tasks import Limits, ModelSettingsSpec

__all__ = ["AttemptOutcome", "Worker", "journal_response", "usage_of"]


@dataclass
class AttemptOutcome:
    """How one attempt of a worker ended."""

    status: Literal["done", "limit_exceeded", "failed", "awaiting_approval", "stuck"]
    summary: str = ""
    reason: str = ""
    usage: Usage = field(default_factory=Usage)


def usage_of(response: PaiModelResponse) -> Usage:
    """The journal's usage record of one model response."""
    u: RequestUsage = response.usage
    return Usage(
        requests=1,
        input_tokens=u.input_tokens,
        output_tokens=u.output_tokens,
        cache_read_tokens=u.cache_read_tokens,
        cache_write_tokens=u.cache_write_tokens,
        cost_usd=float(u.cost) if u.cost is not None else None,
    )


def journal_response(response: PaiModelResponse, step: str, attempt: int, record: Callable[[Event], Any]) -> Usage:
    """Journal one model turn of an agent working on `step`; return its usage."""
    usage = usage_of(response)
    text = "".join(p.content for p in response.parts if isinstance(p, TextPart))
    calls = [{"tool": c.tool_name, "args": c.args_as_dict(), "id": c.tool_call_id} for c in response.tool_calls]
    stop = stop_reason(response)
    record(ModelResponse(step=step, attempt=attempt, text=text, tool_calls=calls, usage=usage, stop_reason=stop))
    return usage


def stop_reason(response: PaiModelResponse) -> str | None:
    """Why the model stopped: its provider's own word where it gave one, else pydantic-ai's."""
    raw = (response.provider_details or {}).get("finish_reason")
    return str(raw) if raw else response.finish_reason


def unfinished(response: PaiModelResponse) -> str | None:
    """Why a final answer is not one, if it is not: cut off at a token limit, or refused."""
    if response.finish_reason == "length":
        return f"the model's answer was cut off ({stop_reason(response)}) before it finished"
    if response.finish_reason == "content_filter":
        return f"the model refused to answer ({stop_reason(response)})"
    return None


def journal_refused_calls(request: ModelRequest, step: str, record: Callable[[Event], Any]) -> None:
    """Journal tool calls the agent itself refused (an unknown tool, bad arguments); the tools never saw them."""
    for part in request.parts:
        if not isinstance(part, RetryPromptPart | ToolReturnPart) or not part.tool_name:
            continue
        if isinstance(part, RetryPromptPart) or part.outcome == "retried":
            problem = part.content if isinstance(part.content, str) else json.dumps(part.content, default=str)
            record(ToolCall(step=step, tool=part.tool_name, args={}, ok=False, result=f"not run: {problem}"[:2000]))


def _described(tool: str, metadata: dict[str, Any] | None) -> str:
    """A tool call waiting for approval, as a person reads it: `run: make deploy`."""
    return f"{tool}: {(metadata or {}).get('target', '')}"


class Worker:
    """Works on one step; keeps its conversation so a retry continues where the last attempt stopped."""

    def __init__(
        self,
        step_id: str,
        tools: Sequence[str],
        model: ModelChoice,
        limits: Limits,
        toolsets: Sequence[AbstractToolset[WorkerDeps]] = (),
        settings: ModelSettingsSpec | None = None,
        context_tokens: int | None = None,
    ) -> None:
        self.step_id = step_id
        self.limits = limits
        self.model = model
        self.messages: list[ModelMessage] = []
        """The full conversation, as the journal's `messages/` keeps it; the model is sent the compactor's view."""
        self.ledger = CallLedger(limits.calls_per_turn, limits.repeated_calls)
        budget = context_budget(model.name, context_tokens or limits.context_tokens)
        self.compactor = Compactor(step_id, budget, self._summarize)
        self._journal: tuple[Callable[[Event], Any], int] = (lambda event: None, 0)
        """Where the current attempt journals, and its number, for the summaries written during it."""
        self.agent: Agent[WorkerDeps, str | DeferredToolRequests] = Agent(
            model.for_agent(step_id),
            deps_type=WorkerDeps,
            output_type=[str, DeferredToolRequests],
            instructions=prompts.render("worker_instructions", tools=tools, mcp=bool(toolsets)),
            toolsets=guarded([FunctionToolset(worker_tools(tools)), *toolsets], self.ledger),
            model_settings=model.settings_for(step_id, settings),
            retries=2,
            name=step_id,
            capabilities=[CompactedContext(self.compactor)],
        )

    def restore(self, messages: list[ModelMessage], compacted: ContextCompacted | None) -> None:
        """Go on from a conversation saved before, with the summary its model was last sent, if any."""
        self.messages = list(messages)
        if compacted is not None:
            self.compactor.restore(compacted)

    async def _summarize(self, previous: str, transcript: str, older: Sequence[ModelMessage]) -> tuple[str, Usage]:
        """The model's note on older turns of this step: what was tried, what was learned, what remains."""
        name = f"{self.step_id}.summary"
        if self.model.script is not None and not self.model.script.agents.get(name):
            return digest(older), Usage()  # a script with no summaries of its own gets the calls listed
        agent: Agent[None, str] = Agent(
            self.model.for_agent(name),
            output_type=str,
            instructions=prompts.render("context_summary"),
            model_settings=self.model.settings_for(name),
            name=name,
        )
        result = await agent.run(prompts.render("context_summary_request", previous=previous, transcript=transcript))
        responses = [m for m in result.new_messages() if isinstance(m, PaiModelResponse)]
        # Journaled as the step's own turns, as a review's are, so the run's totals count what summaries cost.
        record, attempt = self._journal
        return result.output, sum((journal_response(r, self.step_id, attempt, record) for r in responses), Usage())

    async def attempt(
        self, prompt: str | None, deps: WorkerDeps, answers: DeferredToolResults | None = None
    ) -> AttemptOutcome:
        """Run the agent on `prompt` until it answers, pauses for approval or a limit ends it; journal each turn.

        With `answers` (and no prompt) it continues a conversation that paused: the tool calls a person approved run
        now, the denied ones return the person's reason to the model.
        """
        limits = UsageLimits(
            request_limit=self.limits.turns,
            tool_calls_limit=self.limits.tool_calls,
            total_tokens_limit=self.limits.tokens,
            cost_limit=Decimal(str(self.limits.cost_usd)) if self.limits.cost_usd else None,
        )
        with recording_retries(deps.record, self.step_id):
            return await self._attempt(prompt, deps, answers, limits)

    async def _attempt(
        self, prompt: str | None, deps: WorkerDeps, answers: DeferredToolResults | None, limits: UsageLimits
    ) -> AttemptOutcome:
        """The attempt itself, its model requests' retries journaled for this step."""
        spent = Usage()
        self.ledger.reset()
        self._journal = (deps.record, deps.attempt)
        self.compactor.begin()
        # Going on after a pause, the first tool calls are those of the last response already journaled.
        responses = [m for m in self.messages if isinstance(m, PaiModelResponse)]
        already = responses[-1] if answers is not None and responses else None
        journaled: set[int] = set()

        def journal(response: PaiModelResponse) -> Usage:
            journaled.add(id(response))
            return journal_response(response, self.step_id, deps.attempt, deps.record)

        try:
            async with asyncio.timeout(self.limits.minutes * 60):
                async with self.agent.iter(
                    prompt, deps=deps, message_history=self.messages, usage_limits=limits, deferred_tool_results=answers
                ) as run:
                    try:
                        async for node in run:
                            if Agent.is_call_tools_node(node):
                                response = node.model_response
                                if response == already or id(response) in journaled:
                                    continue
                                spent = spent + journal(response)
                            elif Agent.is_model_request_node(node):
                                journal_refused_calls(node.request, self.step_id, deps.record)
                    finally:
                        self.messages = self.compactor.conversation(run.all_messages())
                        spent = spent + self.compactor.take_usage()  # summaries written on the way
                        # A response that crossed a token or cost limit is in the history but never reached the
                        # tools: it was billed all the same, so it is journaled and counted.
                        now = [m for m in self.messages if isinstance(m, PaiModelResponse)]
                        for response in now[len(responses) :]:
                            if id(response) not in journaled:
                                spent = spent + journal(response)
                    output = run.result.output if run.result else ""
        except UsageLimitExceeded as exc:
            return AttemptOutcome("limit_exceeded", reason=f"limit reached: {exc}", usage=spent)
        except TimeoutError:
            return AttemptOutcome(
                "limit_exceeded", reason=f"limit reached: {self.limits.minutes:g} minutes", usage=spent
            )
        except StepStuck as exc:
            return AttemptOutcome("stuck", reason=f"stuck: {exc}", usage=spent)
        except SandboxUnavailable:
            raise
        except AgentRunError as exc:
            return AttemptOutcome("failed", reason=f"the model run failed: {exc}", usage=spent)
        if isinstance(output, DeferredToolRequests):
            waiting = "; ".join(
                _described(call.tool_name, output.metadata.get(call.tool_call_id)) for call in output.approvals
            )
            return AttemptOutcome("awaiting_approval", reason=f"waits for a person's approval: {waiting}", usage=spent)
        last = next((m for m in reversed(self.messages) if isinstance(m, PaiModelResponse)), None)
        if last is not None and (why := unfinished(last)):
            return AttemptOutcome("failed", reason=why, usage=spent)
        return AttemptOutcome("done", summary=output, usage=spent)
