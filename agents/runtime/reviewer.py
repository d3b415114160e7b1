"""The supervisor's review of a step: its diff judged against the instructions and the `do_not` list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_ai import Agent

from interns import prompts
from interns.agents.worker.agent import journal_response
from interns.agents.worker.models import ModelChoice
from interns.journal import Event, ReviewVerdict, Usage
from interns.tasks import Step

__all__ = ["DIFF_LIMIT", "StepReview", "review_step"]

DIFF_LIMIT = 60_000
"""Characters of a diff shown to the reviewer."""


class StepReview(BaseModel):
    """The supervisor's review of one step: accept it, or send it back with notes."""

    decision: Literal["accept", "revise"]
    """`accept` when the change does what the step asks within the rules; `revise` otherwise."""
    notes: str = ""
    """For `revise`: what exactly to change. For `accept`: anything worth knowing."""


async def review_step(
    model: ModelChoice,
    step: Step,
    *,
    attempt: int,
    diff: str,
    summary: str,
    do_not: list[str],
    record: Callable[[Event], Any],
) -> tuple[StepReview, Usage]:
    """Review one step's diff; journal the verdict and the reviewer's model turns."""
    agent: Agent[None, StepReview] = Agent(
        model.for_agent(f"{step.id}.review"),
        output_type=StepReview,
        model_settings=model.settings_for(f"{step.id}.review"),
        name="review",
    )
    if len(diff) > DIFF_LIMIT:
        diff = diff[:DIFF_LIMIT] + f"\n[... {len(diff) - DIFF_LIMIT} more characters of diff ...]"
    prompt = prompts.render("review", step=step, diff=diff, summary=summary, do_not=do_not)
    usage = Usage()
    async with agent.iter(prompt) as run:
        async for node in run:
            if Agent.is_call_tools_node(node):
                usage = usage + journal_response(node.model_response, step.id, attempt, record)
    assert run.result is not None
    verdict = run.result.output
    record(ReviewVerdict(step=step.id, attempt=attempt, decision=verdict.decision, notes=verdict.notes))
    return verdict, usage
