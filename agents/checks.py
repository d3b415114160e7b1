"""Running `done_when` checks in the sandbox: the supervisor's own test of a worker's work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from agents.tracing import traced_exec
from journal import CheckResult, CommandRun, Event
from sandbox import ExecResult, Sandbox

__all__ = ["CheckOutcome", "command_run", "run_checks"]

FEEDBACK_LIMIT = 6_000
"""Characters of a failing check's output sent back to the worker (the tail, where the error usually is)."""


@dataclass(frozen=True)
class CheckOutcome:
    """One check's result, with the output a worker needs to fix a failure."""

    command: str
    passed: bool
    exit_code: int
    timed_out: bool
    output: str


def command_run(
    argv: list[str], result: ExecResult, *, step: str | None, by: Literal["worker", "check", "setup"]
) -> CommandRun:
    """The journal's record of a command run in a sandbox."""
    return CommandRun(
        step=step,
        argv=argv,
        exit_code=result.exit_code,
        duration=result.duration,
        stdout=result.stdout,
        stderr=result.stderr,
        timed_out=result.timed_out,
        truncated=result.truncated,
        by=by,
    )


async def run_checks(
    sandbox: Sandbox, commands: list[str], *, step: str | None, record: Callable[[Event], Any]
) -> list[CheckOutcome]:
    """Run every check command with bash in the sandbox, journaling each; all run even after one fails."""
    outcomes = []
    for command in commands:
        argv = ["bash", "-c", command]
        result = await traced_exec(sandbox, argv, by="check")
        record(command_run(argv, result, step=step, by="check"))
        output = (result.stdout + ("\n" + result.stderr if result.stderr else "")).strip()
        if len(output) > FEEDBACK_LIMIT:
            output = "[... earlier output left out ...]\n" + output[-FEEDBACK_LIMIT:]
        outcome = CheckOutcome(command, result.ok, result.exit_code, result.timed_out, output)
        record(
            CheckResult(step=step, command=command, passed=outcome.passed, exit_code=result.exit_code, output=output)
        )
        outcomes.append(outcome)
    return outcomes
