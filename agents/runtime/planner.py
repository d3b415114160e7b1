"""The supervisor's plan: steps it writes as structured output for a task that has none, checked like a task file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from pydantic_ai import Agent, ModelRetry

from interns import prompts
from interns.agents.worker.agent import journal_response
from interns.agents.worker.models import ModelChoice
from interns.journal import Event, PlanMade
from interns.tasks import Step, TaskSpec, topological_order

__all__ = ["Plan", "make_plan", "plan_event"]

LISTED_FILES = 200
"""Workspace paths listed to the planner."""


class Plan(BaseModel):
    """The steps that carry out a task, in any order; `needs` gives the order that matters."""

    steps: list[Step] = Field(min_length=1)
    """The steps; independent steps run at the same time."""


def _check(plan: Plan) -> Plan:
    try:
        topological_order(plan.steps)
    except ValueError as exc:
        raise ModelRetry(f"The plan is not valid: {exc}. Send the whole plan again, fixed.") from None
    return plan


def plan_event(steps: list[Step], source: str) -> PlanMade:
    """The journal's record of a plan."""
    return PlanMade(source="task" if source == "task" else "supervisor", steps=[s.model_dump() for s in steps])


async def make_plan(
    spec: TaskSpec, model: ModelChoice, workspace: Path, record: Callable[[Event], Any], inputs: Path | None = None
) -> list[Step]:
    """Ask the supervisor model for a plan, its turns journaled; invalid plans are sent back with the problem.

    `inputs` is a folder shown read-only over the workspace: its files are listed too.
    """
    roots = [workspace] if inputs is None else [workspace, inputs]
    listed = {p.relative_to(root).as_posix() for root in roots for p in root.rglob("*") if ".git" not in p.parts}
    files = sorted(listed)
    agent: Agent[None, Plan] = Agent(
        model.for_agent("plan"),
        output_type=Plan,
        model_settings=model.settings_for("plan"),
        retries=3,
        name="plan",
    )
    agent.output_validator(_check)
    prompt = prompts.render("plan", task=spec, files=files[:LISTED_FILES])
    async with agent.iter(prompt) as run:
        async for node in run:
            if Agent.is_call_tools_node(node):
                journal_response(node.model_response, "plan", 1, record)
    assert run.result is not None
    return list(run.result.output.steps)
