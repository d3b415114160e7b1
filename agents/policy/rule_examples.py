"""Checking a task's command rules against the example commands it gives them, before anything runs."""

from __future__ import annotations

from pathlib import Path

from interns.tasks import ALL_TOOLS, TaskSpec

__all__ = ["example_problems"]


def example_problems(spec: TaskSpec) -> list[str]:
    """One line per example command that the rules judge otherwise than the task file says they must."""
    rules = spec.guardrails.commands
    if not (rules.examples.allow or rules.examples.ask or rules.examples.deny):
        return []  # nothing to check: the policy is not even loaded, which keeps a run's start quick
    from interns.agents.policy.decisions import Policy

    policy = Policy(spec.guardrails, ALL_TOOLS, Path.cwd())
    problems = []
    for verdict, commands in (
        ("allow", rules.examples.allow),
        ("ask", rules.examples.ask),
        ("deny", rules.examples.deny),
    ):
        for index, command in enumerate(commands):
            decision = policy.check_command(command)
            if decision.verdict != verdict:
                problems.append(
                    f"guardrails.commands.examples.{verdict}[{index}]: {command!r} is {decision.verdict}, "
                    f"not {verdict} ({decision.rule})"
                )
    return problems
