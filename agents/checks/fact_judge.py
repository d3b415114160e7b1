"""A judge for the facts the heuristics could not settle: the supervisor's model reads each candidate loss in its
place (a few lines of the input, and of the output where the fact should be), never the whole text, and says
whether the fact is kept, corrected, changed or lost, and why."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.exceptions import AgentRunError

from interns import prompts
from interns.agents.checks.facts import words_of
from interns.agents.checks.matching import FactChange
from interns.agents.worker.models import ModelChoice
from interns.journal import Event, Usage

__all__ = ["Candidate", "FactVerdict", "judge_facts", "with_excerpts"]

EXCERPT_CHARS = 500
"""Characters of each text shown around a candidate."""
CANDIDATES_LIMIT = 40
"""Candidates sent to the judge at most; the rest keep the heuristics' verdict."""


class FactVerdict(BaseModel):
    """The judge's verdict on one candidate."""

    number: int
    """The candidate's number, as listed."""
    verdict: Literal["kept", "corrected", "changed", "lost"]
    """`kept`: the output states the fact, in other words or form; `corrected`: it fixes a misspelt or misheard name;
    `changed`: it states a different fact in its place; `lost`: it no longer states it."""
    reason: str
    """Why, in one or two sentences, quoting the output."""


class FactVerdicts(BaseModel):
    """The judge's verdicts, one per candidate."""

    verdicts: list[FactVerdict]


@dataclass(frozen=True)
class Candidate:
    """A fact the heuristics found lost or changed, with where it stands in the input and what may hold it now."""

    change: FactChange
    source: str
    output: str


def with_excerpts(change: FactChange, source: str, result: str) -> Candidate:
    """The candidate with its excerpts: the input's lines around the fact, and the output's lines most like them."""
    here = _around(source, change.fact.start, change.fact.end)
    if change.now and (at := result.find(change.now)) >= 0:
        return Candidate(change, here, _around(result, at, at + len(change.now)))
    return Candidate(change, here, _most_like(result, here))


async def judge_facts(
    candidates: list[Candidate],
    model: ModelChoice,
    agent_name: str,
    *,
    may_correct: bool,
    step: str | None,
    attempt: int,
    record: Callable[[Event], Any],
) -> tuple[dict[int, FactVerdict], Usage, str]:
    """The judge's verdict on each candidate by its index, what it spent, and why there is none when it gave none."""
    # imported here: the worker's module imports its tools, whose module imports the checks that import this one
    from interns.agents.worker.agent import journal_response

    shown = candidates[:CANDIDATES_LIMIT]
    agent: Agent[None, FactVerdicts] = Agent(
        model.for_agent(agent_name),
        output_type=FactVerdicts,
        model_settings=model.settings_for(agent_name),
        name="facts",
    )
    prompt = prompts.render("fact_judge", step=step, candidates=shown, may_correct=may_correct)
    usage = Usage()
    try:
        async with agent.iter(prompt) as run:
            async for node in run:
                if Agent.is_call_tools_node(node):
                    usage = usage + journal_response(node.model_response, step or "task", attempt, record)
    except AgentRunError as exc:  # no usable verdict: the heuristics' findings stand
        return {}, usage, str(exc)
    assert run.result is not None
    verdicts = {v.number - 1: v for v in run.result.output.verdicts if 1 <= v.number <= len(shown)}
    return verdicts, usage, ""


def _around(text: str, start: int, end: int) -> str:
    """The text's lines around a span, clipped to EXCERPT_CHARS with the span near the middle."""
    first = text.rfind("\n", 0, max(0, start - EXCERPT_CHARS // 3)) + 1
    last = text.find("\n", min(len(text), end + EXCERPT_CHARS // 3))
    excerpt = text[first : last if last >= 0 else len(text)]
    if len(excerpt) > EXCERPT_CHARS:
        middle = (start + end) // 2 - first
        excerpt = excerpt[max(0, middle - EXCERPT_CHARS // 2) : middle + EXCERPT_CHARS // 2]
    return excerpt.strip()


def _most_like(text: str, excerpt: str) -> str:
    """The paragraph of `text` that shares the most words with `excerpt`, clipped."""
    wanted = {m.group(0).lower() for m in words_of(excerpt)}
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    if not paragraphs:
        return ""
    best = max(paragraphs, key=lambda p: len(wanted & {m.group(0).lower() for m in words_of(p)}))
    return best.strip()[:EXCERPT_CHARS]
